output "cluster_arn" {
  value = aws_msk_cluster.this.arn
}

output "bootstrap_brokers_sasl_scram" {
  description = "host:9096,... for KAFKA_BROKERS"
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_scram
}

output "scram_secret_arn" {
  value = aws_secretsmanager_secret.scram.arn
}

output "scram_username" {
  value = var.scram_username
}

output "kms_key_arn" {
  value = aws_kms_key.msk.arn
}

output "posture" {
  description = "Exposure and encryption, as planned"
  value = {
    public_access   = aws_msk_cluster.this.broker_node_group_info[0].connectivity_info[0].public_access[0].type
    client_subnets  = aws_msk_cluster.this.broker_node_group_info[0].client_subnets
    client_broker   = aws_msk_cluster.this.encryption_info[0].encryption_in_transit[0].client_broker
    in_cluster      = aws_msk_cluster.this.encryption_info[0].encryption_in_transit[0].in_cluster
    at_rest_kms_key = aws_msk_cluster.this.encryption_info[0].encryption_at_rest_kms_key_arn
    unauthenticated = aws_msk_cluster.this.client_authentication[0].unauthenticated
  }
}

output "cluster_name" {
  description = "The \"Cluster Name\" dimension of the AWS/Kafka metrics"
  value       = aws_msk_cluster.this.cluster_name
}

output "broker_ids" {
  description = "MSK numbers brokers from 1: the \"Broker ID\" dimension of the per-broker metrics"
  value       = [for i in range(var.broker_count) : tostring(i + 1)]
}

output "service_scram_secret_arns" {
  description = "Per service: the AmazonMSK_ secret of its own SCRAM user (JSON: username, password)"
  value       = { for k, s in aws_secretsmanager_secret.service : k => s.arn }
}

output "service_scram_secret_names" {
  value = { for k, s in aws_secretsmanager_secret.service : k => s.name }
}

output "acls_enforced" {
  value = var.acls_enforced
}
