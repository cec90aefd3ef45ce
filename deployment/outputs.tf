output "region" {
  value = var.region
}

output "public_url" {
  value = local.public_base_url
}

output "cloudfront_domain_name" {
  description = "Alias/CNAME target for domain_name"
  value       = module.cloudfront.domain_name
}

output "cloudfront_distribution_id" {
  value = module.cloudfront.distribution_id
}

output "alb_dns_name" {
  description = "CNAME target for alb_origin_domain_name"
  value       = module.elb.alb_dns_name
}

output "ecr_repository_urls" {
  value = module.ecr.repository_urls
}

output "ecs_cluster_name" {
  value = module.ecs.cluster_name
}

output "ecs_task_definitions" {
  description = "service=task definition ARN, one per line: deploy.sh follows each service's deployment of it"
  value       = join("\n", [for k, arn in module.ecs.task_definition_arns : "${k}=${arn}"])
}

output "ecs_service_names" {
  value = module.ecs.service_names
}

output "assets_bucket" {
  value = module.s3.assets_bucket
}

output "images_bucket" {
  value = module.s3.images_bucket
}

output "app_secret_arns" {
  description = "Put each service's secret values here (docs/operations.md)"
  value       = { for k, s in aws_secretsmanager_secret.app : k => s.arn }
}

output "rds_endpoint" {
  value = module.rds.endpoint
}

output "msk_bootstrap_brokers" {
  value = module.msk.bootstrap_brokers_sasl_scram
}

output "bootstrap_task_definition" {
  description = "The bootstrap task (database roles, Kafka ACLs; docs/operations.md, \"The bootstrap task\"): deploy.sh runs it before every roll"
  value       = aws_ecs_task_definition.bootstrap.arn
}

output "fairness_bucket" {
  value = module.s3.fairness_bucket
}

output "access_logs_bucket" {
  value = module.access_logs.bucket
}

output "alarm_topic_arn" {
  description = "Subscribe the on-call's pager or chat here (e-mail: var.alarm_emails)"
  value       = module.alarms.topic_arn
}

output "origin_secret_arn" {
  description = "The origin secret (rotation: docs/operations.md)"
  value       = aws_secretsmanager_secret.origin.arn
}

output "web_acl_arn" {
  value = module.waf.web_acl_arn
}

output "api_gateway_endpoint" {
  description = "The HTTP API's URL when api_gateway_enabled, else empty"
  value       = var.api_gateway_enabled ? module.api_gateway[0].endpoint : ""
}
