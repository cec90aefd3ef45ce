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
