output "topic_arn" {
  value = aws_sns_topic.alarms.arn
}

output "alarms" {
  description = "alarm => { namespace, metric (or query), alarm and OK actions }"
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.metric : k => {
      namespace     = a.namespace
      metric        = a.metric_name
      dimensions    = a.dimensions
      alarm_actions = a.alarm_actions
      ok_actions    = a.ok_actions
    } },
    { "dead-letters-waiting" = {
      namespace     = var.prometheus_namespace
      metric        = one(aws_cloudwatch_metric_alarm.dead_letters_waiting.metric_query).expression
      dimensions    = {}
      alarm_actions = aws_cloudwatch_metric_alarm.dead_letters_waiting.alarm_actions
      ok_actions    = aws_cloudwatch_metric_alarm.dead_letters_waiting.ok_actions
    } },
    { "kafka-consumer-lag" = {
      namespace     = "AWS/Kafka"
      metric        = one(aws_cloudwatch_metric_alarm.consumer_lag.metric_query).expression
      dimensions    = {}
      alarm_actions = aws_cloudwatch_metric_alarm.consumer_lag.alarm_actions
      ok_actions    = aws_cloudwatch_metric_alarm.consumer_lag.ok_actions
    } },
  )
}

output "dead_letter_filters" {
  description = "service => { log group, pattern, metric }"
  value = { for k, f in aws_cloudwatch_log_metric_filter.dead_letters : k => {
    log_group  = f.log_group_name
    pattern    = f.pattern
    metric     = one(f.metric_transformation).name
    namespace  = one(f.metric_transformation).namespace
    dimensions = one(f.metric_transformation).dimensions
  } }
}
