# Who reads the services' Prometheus /metrics in AWS: a CloudWatch agent beside each service
# container, in the same task, scraping 127.0.0.1:<ADMIN_PORT>/<svc>/metrics (tasks share one
# network namespace in awsvpc mode, so the admin port never leaves the task). The agent writes
# every scraped sample as an embedded-metric-format event into one log group (kept, queryable
# with Logs Insights: histograms' buckets included) and turns the series listed in
# `metric_declaration` into CloudWatch metrics in `prometheus_namespace`: what alarms and
# dashboards use. Only declared series cost a custom metric each.
#
# Not duplicated here: the queue's WebSocketConnections, which autoscaling tracks, is written by
# the queue itself as EMF lines (autoscaling.tf); ALB, RDS and MSK figures come from AWS itself.

locals {
  prometheus_log_group = "/ticketslave/${var.name}/prometheus"

  # The series that become CloudWatch metrics. Dimensions are Prometheus labels: ClusterName and
  # Service come from the scrape config below, `topic` from the gauge itself.
  metric_declarations = [
    {
      # Dead letters waiting for an operator, per <topic>.dlq (libs/common kafka/dead-letters.ts).
      # Every task of every consumer of a topic reports the same figure: alarms take the maximum.
      source_labels    = ["job"]
      label_matcher    = "^ticketslave$"
      dimensions       = [["ClusterName", "topic"]]
      metric_selectors = ["^ts_kafka_dead_letters_waiting$"]
    },
    {
      # Per service: the event loop's p99 lag (a starved process answers late whatever its CPU
      # says) and resident memory.
      source_labels    = ["job"]
      label_matcher    = "^ticketslave$"
      dimensions       = [["ClusterName", "Service"]]
      metric_selectors = ["^ts_nodejs_eventloop_lag_p99_seconds$", "^ts_process_resident_memory_bytes$"]
    },
  ]

  agent_config = {
    for svc, s in var.services : svc => jsonencode({
      agent = { region = var.region }
      logs = {
        force_flush_interval = 15
        metrics_collected = {
          prometheus = {
            log_group_name         = local.prometheus_log_group
            prometheus_config_path = "env:PROMETHEUS_CONFIG_CONTENT"
            emf_processor = {
              metric_namespace   = var.prometheus_namespace
              metric_declaration = local.metric_declarations
            }
          }
        }
      }
    })
  }

  prometheus_config = {
    for svc, s in var.services : svc => yamlencode({
      global = { scrape_interval = "${var.metrics_scrape_seconds}s", scrape_timeout = "10s" }
      scrape_configs = [{
        job_name     = "ticketslave"
        metrics_path = "/${svc}/metrics"
        static_configs = [{
          targets = ["127.0.0.1:${s.environment["ADMIN_PORT"]}"]
          labels  = { ClusterName = var.name, Service = svc }
        }]
      }]
    })
  }

  # The sidecar, appended to each task definition's containers (main.tf). Not essential: a
  # crashed agent loses figures, never a service task.
  metrics_agent_container = {
    for svc, s in var.services : svc => {
      name              = "cloudwatch-agent"
      image             = var.cloudwatch_agent_image
      essential         = false
      memoryReservation = 64
      environment = [
        { name = "CW_CONFIG_CONTENT", value = local.agent_config[svc] },
        { name = "PROMETHEUS_CONFIG_CONTENT", value = local.prometheus_config[svc] },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          "awslogs-group"         = aws_cloudwatch_log_group.service[svc].name
          "awslogs-region"        = var.region
          "awslogs-stream-prefix" = "cloudwatch-agent"
        }
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "prometheus" {
  name              = local.prometheus_log_group
  retention_in_days = var.log_retention_days
}

# The agent runs with the task's role: it may write its log group, nothing else.
data "aws_iam_policy_document" "metrics_agent" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [aws_cloudwatch_log_group.prometheus.arn, "${aws_cloudwatch_log_group.prometheus.arn}:*"]
  }
}

resource "aws_iam_role_policy" "metrics_agent" {
  for_each = var.metrics_agent_enabled ? var.services : {}
  name     = "metrics-agent"
  role     = aws_iam_role.task[each.key].id
  policy   = data.aws_iam_policy_document.metrics_agent.json
}
