# What pages the on-call: one SNS topic (subscribe e-mail, chat or a pager to it), and alarms on
# the figures that go wrong in a sale. Every alarm notifies on ALARM and on OK.
#
# Sources, as they exist in AWS:
# - the ALB (AWS/ApplicationELB): 5xx it answers itself, 5xx and p95 latency of each target group;
# - consumer lag: MSK computes it per consumer group and topic from the committed offsets
#   (AWS/Kafka EstimatedMaxTimeLag, seconds); one Metrics Insights query covers every group;
# - dead letters, twice: arrivals (each service logs one line per message it sends to
#   `<topic>.dlq`, libs/common kafka/bus.ts DLQ_LOG_MESSAGES; a metric filter on its log group
#   counts them: the page comes at once) and depth (ts_kafka_dead_letters_waiting, what no
#   operator has replayed or dropped yet, from the services' /metrics through the CloudWatch
#   agent beside each task, modules/ecs metrics.tf: the alarm stays on until someone deals with them);
# - RDS CPU, connections against max_connections, free storage; MSK data-log disk per broker.
resource "aws_sns_topic" "alarms" {
  name = "${var.name}-alarms"
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.key
}

# Dead letters: the log lines a service writes when it gives up on a message.
resource "aws_cloudwatch_log_metric_filter" "dead_letters" {
  for_each       = var.service_log_groups
  name           = "${var.name}-${each.key}-dead-letters"
  log_group_name = each.value
  pattern        = "{ ${join(" || ", [for m in var.dlq_log_messages : "($.msg = \"${m}\")"])} }"
  metric_transformation {
    name      = "DeadLetteredMessages"
    namespace = var.metrics_namespace
    value     = "1"
    unit      = "Count"
    # Every log line carries its service (libs/common logger's base field). A filter with
    # dimensions takes no default value: minutes without a dead letter are missing data.
    dimensions = { Service = "$.service" }
  }
}

locals {
  actions = [aws_sns_topic.alarms.arn]

  # Plain metric alarms: one map so every one gets the same actions and the tests see them all.
  metric_alarms = merge(
    {
      "alb-elb-5xx" = {
        description = "The ALB itself answered 5xx (no healthy target, target connection errors)"
        namespace   = "AWS/ApplicationELB", metric = "HTTPCode_ELB_5XX_Count", statistic = "Sum", extended = null
        dimensions  = { LoadBalancer = var.alb_arn_suffix }
        comparison  = "GreaterThanThreshold", threshold = var.alb_5xx_per_5_minutes, period = 300, evaluation_periods = 1
      }
    },
    { for svc, tg in var.target_group_arn_suffixes : "${svc}-target-5xx" => {
      description = "${svc} answered 5xx through the ALB"
      namespace   = "AWS/ApplicationELB", metric = "HTTPCode_Target_5XX_Count", statistic = "Sum", extended = null
      dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = tg }
      comparison  = "GreaterThanThreshold", threshold = var.alb_5xx_per_5_minutes, period = 300, evaluation_periods = 1
    } },
    { for svc, tg in var.target_group_arn_suffixes : "${svc}-target-latency-p95" => {
      description = "${svc}'s p95 response time through the ALB"
      namespace   = "AWS/ApplicationELB", metric = "TargetResponseTime", statistic = null, extended = "p95"
      dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = tg }
      comparison  = "GreaterThanThreshold", threshold = var.target_latency_p95_seconds, period = 60, evaluation_periods = 5
    } },
    { for svc in keys(var.service_log_groups) : "${svc}-dead-letters" => {
      description = "${svc} sent messages to a dead-letter topic (<topic>.dlq): each needs a look and a replay"
      namespace   = var.metrics_namespace, metric = "DeadLetteredMessages", statistic = "Sum", extended = null
      dimensions  = { Service = svc }
      comparison  = "GreaterThanThreshold", threshold = 0, period = 300, evaluation_periods = 1
    } },
    {
      "rds-cpu" = {
        description = "RDS CPU"
        namespace   = "AWS/RDS", metric = "CPUUtilization", statistic = "Average", extended = null
        dimensions  = { DBInstanceIdentifier = var.rds_instance_id }
        comparison  = "GreaterThanThreshold", threshold = var.rds_cpu_percent, period = 60, evaluation_periods = 10
      }
      "rds-connections" = {
        description = "RDS connections near max_connections (the pool budget is exceeded or leaking)"
        namespace   = "AWS/RDS", metric = "DatabaseConnections", statistic = "Maximum", extended = null
        dimensions  = { DBInstanceIdentifier = var.rds_instance_id }
        comparison  = "GreaterThanThreshold", threshold = floor(var.rds_max_connections * var.rds_connections_fraction), period = 60, evaluation_periods = 3
      }
      "rds-free-storage" = {
        description = "RDS free storage below ${var.rds_free_storage_fraction * 100}% of the allocation"
        namespace   = "AWS/RDS", metric = "FreeStorageSpace", statistic = "Minimum", extended = null
        dimensions  = { DBInstanceIdentifier = var.rds_instance_id }
        comparison  = "LessThanThreshold", threshold = floor(var.rds_allocated_storage_gb * 1073741824 * var.rds_free_storage_fraction), period = 300, evaluation_periods = 1
      }
    },
    { for id in var.msk_broker_ids : "msk-disk-broker-${id}" => {
      description = "MSK broker ${id}: data log disk used (%)"
      namespace   = "AWS/Kafka", metric = "KafkaDataLogsDiskUsed", statistic = "Maximum", extended = null
      dimensions  = { "Cluster Name" = var.msk_cluster_name, "Broker ID" = id }
      comparison  = "GreaterThanThreshold", threshold = var.msk_disk_used_percent, period = 300, evaluation_periods = 1
    } },
  )
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each            = local.metric_alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended
  dimensions          = each.value.dimensions
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# Dead letters nobody has dealt with: the deepest `<topic>.dlq` of this cluster, per the services'
# gauge (end offset minus the replay group's offset). Every task of every consumer of a topic
# reports the same figure, so MAX; ALARM while any stays above zero for
# `dead_letters_waiting_minutes`, OK once each is replayed or dropped (`npm run dlq`). No data
# (no agent, or the broker unreachable) is INSUFFICIENT_DATA, not OK.
resource "aws_cloudwatch_metric_alarm" "dead_letters_waiting" {
  alarm_name          = "${var.name}-dead-letters-waiting"
  alarm_description   = "Dead letters waiting in a <topic>.dlq for more than ${var.dead_letters_waiting_minutes} minutes: look at them and replay or drop them (npm run dlq)"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = ceil(var.dead_letters_waiting_minutes / 5)
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  metric_query {
    id          = "waiting"
    return_data = true
    period      = 300
    expression  = "SELECT MAX(${var.dead_letters_metric}) FROM SCHEMA(\"${var.prometheus_namespace}\", ClusterName, topic) WHERE ClusterName = '${var.cluster_name}'"
  }
}

# Consumer lag: the worst estimated time lag of any consumer group on any topic (MSK reports it
# per group and topic at the DEFAULT monitoring level), as one Metrics Insights query.
resource "aws_cloudwatch_metric_alarm" "consumer_lag" {
  alarm_name          = "${var.name}-kafka-consumer-lag"
  alarm_description   = "A consumer group is more than ${var.consumer_lag_seconds} s behind its topic"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.consumer_lag_seconds
  evaluation_periods  = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  metric_query {
    id          = "lag"
    return_data = true
    period      = 60
    expression  = "SELECT MAX(EstimatedMaxTimeLag) FROM SCHEMA(\"AWS/Kafka\", \"Cluster Name\", \"Consumer Group\", Topic) WHERE \"Cluster Name\" = '${var.msk_cluster_name}'"
  }
}
