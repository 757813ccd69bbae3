"""Product Advertising API 4 (AWS E-Commerce Service, ECS): REST `/onca/xml` over SigV2."""
