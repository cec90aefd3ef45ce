output "repository_urls" {
  description = "service name => repository URL"
  value       = { for k, r in aws_ecr_repository.service : k => r.repository_url }
}

output "repository_arns" {
  value = { for k, r in aws_ecr_repository.service : k => r.arn }
}
