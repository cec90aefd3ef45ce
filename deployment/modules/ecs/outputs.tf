output "cluster_name" {
  value = aws_ecs_cluster.this.name
}

output "service_names" {
  value = { for k, s in aws_ecs_service.service : k => s.name }
}

output "task_role_arns" {
  value = { for k, r in aws_iam_role.task : k => r.arn }
}

output "log_group_names" {
  value = { for k, g in aws_cloudwatch_log_group.service : k => g.name }
}

output "connection_metrics" {
  description = "service => the custom metric its connection scaling tracks"
  value = { for k, p in aws_appautoscaling_policy.connections : k => {
    namespace  = p.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].namespace
    name       = p.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metric_name
    dimensions = { for d in p.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].dimensions : d.name => d.value }
  } }
}

output "task_definition_arns" {
  description = "service => the task definition (with revision) this apply made current"
  value       = { for k, t in aws_ecs_task_definition.service : k => t.arn }
}
