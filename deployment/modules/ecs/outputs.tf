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

output "metrics_agent" {
  description = "service => the sidecar scraping its /metrics: container, scrape target, what becomes a CloudWatch metric"
  value = { for svc, s in var.services : svc => {
    containers = [for c in concat([{ name = svc }], var.metrics_agent_enabled ? [local.metrics_agent_container[svc]] : []) : c.name]
    essential  = local.metrics_agent_container[svc].essential
    scrape     = yamldecode(local.prometheus_config[svc]).scrape_configs
    prometheus = jsondecode(local.agent_config[svc]).logs.metrics_collected.prometheus
    # The task role may write the agent's log group (the policy document is a mock in plans).
    role_policy = contains(keys(aws_iam_role_policy.metrics_agent), svc)
    log_group   = aws_cloudwatch_log_group.prometheus.name
  } }
}

output "prometheus_namespace" {
  value = var.prometheus_namespace
}

output "execution_roles" {
  description = "service => its execution role's name and the variables (its own task definition's secrets) its secrets policy is built from"
  value = { for k, r in aws_iam_role.execution : k => {
    name        = r.name
    secret_keys = sort(keys(var.services[k].secrets))
  } }
}
