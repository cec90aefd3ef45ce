output "endpoint" {
  value = aws_db_instance.this.endpoint
}

output "database_url_secret_arn" {
  value = aws_secretsmanager_secret.database_url.arn
}

output "kms_key_arn" {
  value = aws_kms_key.rds.arn
}

output "instance_id" {
  value = aws_db_instance.this.identifier
}

output "connection_query" {
  description = "The query string of DATABASE_URL (TLS settings)"
  value       = local.ssl_query
}

output "posture" {
  description = "Exposure and encryption, as planned"
  value = {
    publicly_accessible = aws_db_instance.this.publicly_accessible
    storage_encrypted   = aws_db_instance.this.storage_encrypted
    force_ssl           = one([for p in aws_db_parameter_group.this.parameter : p.value if p.name == "rds.force_ssl"])
  }
}

output "service_database_secret_arns" {
  description = "Per service: the secret of its own database role (JSON: username, password, schema, url)"
  value       = { for k, s in aws_secretsmanager_secret.service_database : k => s.arn }
}

output "service_roles" {
  description = "Per service: its database login role, owner of the schema of the same name"
  value       = { for k in var.service_names : k => "ts_${k}" }
}

output "service_database_secret_names" {
  value = { for k, s in aws_secretsmanager_secret.service_database : k => s.name }
}

output "allocated_storage_gb" {
  value = var.allocated_storage_gb
}
