# Fargate cluster and one service per backend. Configuration that is not secret goes in
# `environment`; every secret is a `secrets` entry resolved by ECS from Secrets Manager or
# SSM at task start, so it never appears in the task definition, the console or the state.

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enhanced"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

# Service Connect: services reach each other as http://<svc>:<port> (JWKS, purchase -> payment).
resource "aws_service_discovery_http_namespace" "this" {
  name = "${var.name}.internal"
}

resource "aws_cloudwatch_log_group" "service" {
  for_each          = var.services
  name              = "/ticketslave/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_ecs_task_definition" "service" {
  for_each                 = var.services
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution[each.key].arn
  task_role_arn            = aws_iam_role.task[each.key].arn

  # The root filesystem is read-only; /tmp is the one writable scratch space.
  volume {
    name = "tmp"
  }

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # The service, and the CloudWatch agent that scrapes its admin port (metrics.tf).
  container_definitions = jsonencode(concat([{
    name                   = each.key
    image                  = "${var.repository_urls[each.key]}:${var.image_tag}"
    essential              = true
    user                   = "1000:1000"
    readonlyRootFilesystem = true
    stopTimeout            = 30
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    portMappings           = [{ containerPort = each.value.port, protocol = "tcp", name = each.key }]
    environment = [for k in sort(keys(each.value.environment)) : {
      name  = k
      value = each.value.environment[k]
    }]
    secrets = [for k in sort(keys(each.value.secrets)) : {
      name      = k
      valueFrom = each.value.secrets[k]
    }]
    healthCheck = {
      command     = ["CMD", "node", "-e", "fetch('http://127.0.0.1:${each.value.port}/${each.key}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.service[each.key].name
        "awslogs-region"        = var.region
        "awslogs-stream-prefix" = each.key
      }
    }
  }], var.metrics_agent_enabled ? [local.metrics_agent_container[each.key]] : []))
}

resource "aws_ecs_service" "service" {
  for_each                           = var.services
  name                               = each.key
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.service[each.key].arn
  desired_count                      = each.value.min_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  health_check_grace_period_seconds  = 60
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.services_security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arns[each.key]
    container_name   = each.key
    container_port   = each.value.port
  }

  service_connect_configuration {
    enabled   = true
    namespace = aws_service_discovery_http_namespace.this.arn
    service {
      port_name      = each.key
      discovery_name = each.key
      client_alias {
        port     = each.value.port
        dns_name = each.key
      }
    }
  }

  # A deployment whose tasks never get healthy is rolled back to the last good task definition.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    # The autoscaler owns the count once the service exists.
    ignore_changes = [desired_count]
  }
}
