"""Usage plans (rate per second, burst) of every SP-API operation, from its model.

Operations are named `<model file stem>.<operationId>`, since ids repeat across models. A model
that states no plan for an operation gets the generator's marked guess (see
scripts/sp_api_registry.py: Amazon's sandbox plan, or the plan most of the model states).
"""

from __future__ import annotations

from sandbox.core.ratelimit import UsagePlan
from sandbox.sp_api.registry import operations

USAGE_PLANS: dict[str, UsagePlan] = {
    key: UsagePlan(*op.usage_plan) for key, op in operations().items()
}
