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
