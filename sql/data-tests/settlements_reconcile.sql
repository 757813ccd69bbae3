-- every settlement's stated total equals the sum of its lines
select settlement_id, total_amount, lines_total, unreconciled_amount
from {{ ref('settlements') }}
where not is_reconciled
