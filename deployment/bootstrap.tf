# The database bootstrap (issue 17.13): a one-off task that makes each service's login role
# (ts_<svc>, password from its own secret in module.rds) and gives it its schema, connected as the
# RDS master user. It is the only task definition that names the master user's secret or more than
# one role's password; the services' task definitions name only their own (services.tf,
# own_secrets). Run it before the first deploy and after raising module.rds's password_version
# (docs/operations.md, "Database roles"). The code is the feed image's `provision-db-roles`
# (feed-service/feed-backend/src/db-roles.ts), the statements `npm start` runs locally.
locals {
  db_roles_secrets = merge(
    { DATABASE_URL = module.rds.database_url_secret_arn },
    { for svc, arn in module.rds.service_database_secret_arns : "DB_ROLE_PASSWORD_${upper(svc)}" => "${arn}:password::" },
  )
}

resource "aws_cloudwatch_log_group" "db_roles" {
  name              = "/ticketslave/${local.name}/db-roles"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "db_roles_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# Its own execution role: the services' execution role never reads the master user's secret.
resource "aws_iam_role" "db_roles_execution" {
  name               = "${local.name}-db-roles-execution"
  assume_role_policy = data.aws_iam_policy_document.db_roles_assume.json
}

resource "aws_iam_role_policy_attachment" "db_roles_execution" {
  role       = aws_iam_role.db_roles_execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "db_roles_secrets" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat([module.rds.database_url_secret_arn], values(module.rds.service_database_secret_arns))
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [module.rds.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "db_roles_secrets" {
  role   = aws_iam_role.db_roles_execution.id
  policy = data.aws_iam_policy_document.db_roles_secrets.json
}

resource "aws_ecs_task_definition" "db_roles" {
  family                   = "${local.name}-db-roles"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.db_roles_execution.arn

  container_definitions = jsonencode([{
    name      = "db-roles"
    image     = "${module.ecr.repository_urls["feed"]}:${var.image_tag}"
    essential = true
    command   = ["node", "dist/main.js", "provision-db-roles"]
    secrets   = [for k in sort(keys(local.db_roles_secrets)) : { name = k, valueFrom = local.db_roles_secrets[k] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.db_roles.name
        "awslogs-region"        = var.region
        "awslogs-stream-prefix" = "db-roles"
      }
    }
  }])
}
