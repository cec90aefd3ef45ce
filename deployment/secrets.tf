# One secret per service holding its signing keys and third-party credentials as JSON keys
# (see local.app_secret_keys). Terraform creates the containers only: the operator puts the
# values (docs/operations.md), so no key material ever passes through Terraform state.
resource "aws_kms_key" "secrets" {
  description         = "${local.name} application secrets"
  enable_key_rotation = true
}

resource "aws_secretsmanager_secret" "app" {
  for_each                = local.app_secret_keys
  name                    = "${local.name}/${each.key}"
  description             = "TicketSlave ${each.key}: ${join(", ", each.value)}"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 30
}
