# The bootstrap (issue 17.13): a one-off task that deploy.sh runs before every roll (and an
# operator may run by hand, docs/operations.md "The bootstrap task"), the feed image's
# `node dist/main.js bootstrap` (feed-service/feed-backend/src/main.ts). Two steps, idempotent:
# 1. as the RDS master user, makes each service's login role (ts_<svc>, password from its own
#    secret in module.rds) and gives it its schema (db-roles.ts, the statements `npm start` runs);
# 2. as MSK's ACL-making SCRAM user (module.msk's AmazonMSK_…_app), grants that user its own ACLs,
#    then every service's (kafka-acls.ts; libs/common serviceAcls, from TOPIC_ACCESS).
# It is the only task definition that names the master user's secret, more than one role's
# password or the ACL user's secret; the services' task definitions name only their own
# (services.tf, own_secrets), and it has an execution role of its own.
locals {
  bootstrap_secrets = merge(
    { DATABASE_URL = module.rds.database_url_secret_arn },
    { for svc, arn in module.rds.service_database_secret_arns : "DB_ROLE_PASSWORD_${upper(svc)}" => "${arn}:password::" },
    {
      KAFKA_SASL_USERNAME = "${module.msk.scram_secret_arn}:username::"
      KAFKA_SASL_PASSWORD = "${module.msk.scram_secret_arn}:password::"
    },
  )
  bootstrap_command = ["node", "dist/main.js", "bootstrap"]
  bootstrap_environment = {
    KAFKA_BROKERS        = module.msk.bootstrap_brokers_sasl_scram
    KAFKA_SSL            = "true"
    KAFKA_SASL_MECHANISM = "scram-sha-512"
    KAFKA_TOPIC_PREFIX   = ""
  }
}

resource "aws_cloudwatch_log_group" "bootstrap" {
  name              = "/ticketslave/${local.name}/bootstrap"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "bootstrap_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# Its own execution role: the services' execution roles never read the master user's secret nor
# the ACL user's.
resource "aws_iam_role" "bootstrap_execution" {
  name               = "${local.name}-bootstrap-execution"
  assume_role_policy = data.aws_iam_policy_document.bootstrap_assume.json
}

resource "aws_iam_role_policy_attachment" "bootstrap_execution" {
  role       = aws_iam_role.bootstrap_execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "bootstrap_secrets" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat([module.rds.database_url_secret_arn, module.msk.scram_secret_arn], values(module.rds.service_database_secret_arns))
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [module.rds.kms_key_arn, module.msk.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "bootstrap_secrets" {
  role   = aws_iam_role.bootstrap_execution.id
  policy = data.aws_iam_policy_document.bootstrap_secrets.json
}

resource "aws_ecs_task_definition" "bootstrap" {
  family                   = "${local.name}-bootstrap"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.bootstrap_execution.arn
  # deploy.sh applies this task definition alone (-target) before running it: its role's policies
  # must come along, or a first run could not read its secrets.
  depends_on = [aws_iam_role_policy.bootstrap_secrets, aws_iam_role_policy_attachment.bootstrap_execution]

  container_definitions = jsonencode([{
    name        = "bootstrap"
    image       = "${module.ecr.repository_urls["feed"]}:${var.image_tag}"
    essential   = true
    command     = local.bootstrap_command
    environment = [for k in sort(keys(local.bootstrap_environment)) : { name = k, value = local.bootstrap_environment[k] }]
    secrets     = [for k in sort(keys(local.bootstrap_secrets)) : { name = k, valueFrom = local.bootstrap_secrets[k] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.bootstrap.name
        "awslogs-region"        = var.region
        "awslogs-stream-prefix" = "bootstrap"
      }
    }
  }])
}
