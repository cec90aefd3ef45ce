output "repository_urls" {
  description = "service name => repository URL"
  value       = { for k, r in aws_ecr_repository.service : k => r.repository_url }
}

output "repository_arns" {
  value = { for k, r in aws_ecr_repository.service : k => r.arn }
}

output "replication_destinations" {
  description = "Accounts images are replicated to"
  value       = flatten([for c in aws_ecr_replication_configuration.this : [for d in c.replication_configuration[0].rule[0].destination : d.registry_id]])
}

output "accepts_replication_from" {
  value = var.accept_replication_from_account_ids
}
