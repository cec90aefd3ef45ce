data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# Execution roles: what ECS itself needs to start a task (pull, log, read secrets). One per
# service (issue 17.13), each reading only the secrets its own task definition names: a service's
# role cannot fetch another's database or Kafka password.
resource "aws_iam_role" "execution" {
  for_each           = var.services
  name               = "${var.name}-${each.key}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  for_each   = var.services
  role       = aws_iam_role.execution[each.key].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

locals {
  # valueFrom may carry a JSON key suffix (arn:...:secret:name-AbCdEf:KEY::); IAM wants the secret ARN.
  secret_arns = { for svc, s in var.services : svc => sort(distinct([for v in values(s.secrets) : regex("^(arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:[^:]+)", v)[0] if startswith(v, "arn:") && strcontains(v, ":secretsmanager:")])) }
  ssm_arns    = { for svc, s in var.services : svc => sort(distinct([for v in values(s.secrets) : v if strcontains(v, ":ssm:")])) }
}

data "aws_iam_policy_document" "execution_secrets" {
  for_each = var.services
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = length(local.secret_arns[each.key]) > 0 ? local.secret_arns[each.key] : ["arn:aws:secretsmanager:::secret:none"]
  }
  dynamic "statement" {
    for_each = length(local.ssm_arns[each.key]) > 0 ? [1] : []
    content {
      actions   = ["ssm:GetParameters"]
      resources = local.ssm_arns[each.key]
    }
  }
  dynamic "statement" {
    for_each = length(var.secrets_kms_key_arns) > 0 ? [1] : []
    content {
      actions   = ["kms:Decrypt"]
      resources = var.secrets_kms_key_arns
    }
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  for_each = var.services
  role     = aws_iam_role.execution[each.key].id
  policy   = data.aws_iam_policy_document.execution_secrets[each.key].json
}

# Task roles: what the running code may do. Only feed touches AWS APIs (event images in S3),
# and every service may publish its own metrics.
resource "aws_iam_role" "task" {
  for_each           = var.services
  name               = "${var.name}-${each.key}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy" "task" {
  for_each = { for k, s in var.services : k => s if s.task_policy_json != null }
  role     = aws_iam_role.task[each.key].id
  policy   = each.value.task_policy_json
}
