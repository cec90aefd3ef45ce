# The origin secret: CloudFront adds it to every request to the ALB (header
# var.origin_secret_header), the ALB's listener rules forward only requests carrying it, and the
# services trust CloudFront-Viewer-Address only on requests carrying it (ORIGIN_SECRETS).
#
# Generated once by Secrets Manager (GetRandomPassword) when the secret version is created; later
# plans read a fresh random value that ignore_changes discards, so CloudFront, the ALB and the
# secret keep the stored one. The value sits in the (encrypted) state, as CloudFront's
# configuration holds it anyway. Rotation: docs/operations.md.
data "aws_secretsmanager_random_password" "origin" {
  password_length     = 48
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "origin" {
  name                    = "${local.name}/origin-secret"
  description             = "TicketSlave: the header value CloudFront sends to the ALB (ORIGIN_SECRETS)"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "origin" {
  secret_id     = aws_secretsmanager_secret.origin.id
  secret_string = data.aws_secretsmanager_random_password.origin.random_password
  lifecycle {
    ignore_changes = [secret_string]
  }
}

locals {
  origin_secret = aws_secretsmanager_secret_version.origin.secret_string
}
