output "alb_arn" {
  value = aws_lb.this.arn
}

output "alb_arn_suffix" {
  value = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  value = aws_lb.this.dns_name
}

output "target_group_arns" {
  value = { for k, tg in aws_lb_target_group.service : k => tg.arn }
}

output "target_group_arn_suffixes" {
  value = { for k, tg in aws_lb_target_group.service : k => tg.arn_suffix }
}

output "https_listener_arn" {
  value = aws_lb_listener.https.arn
}

output "default_action" {
  value = {
    type   = aws_lb_listener.https.default_action[0].type
    status = aws_lb_listener.https.default_action[0].fixed_response[0].status_code
  }
}

output "listener_rules" {
  description = "Every listener rule: priority, action, path patterns, and the header values it requires"
  sensitive   = true
  value = merge(
    { for k, r in aws_lb_listener_rule.service : "forward-${k}" => {
      priority = r.priority
      action   = r.action[0].type
      status   = null
      paths    = flatten([for c in r.condition : tolist(c.path_pattern[0].values) if length(c.path_pattern) > 0])
      headers  = { for c in r.condition : c.http_header[0].http_header_name => tolist(c.http_header[0].values) if length(c.http_header) > 0 }
    } },
    { for k, r in aws_lb_listener_rule.ops_not_public : "ops-${k}" => {
      priority = r.priority
      action   = r.action[0].type
      status   = r.action[0].fixed_response[0].status_code
      paths    = flatten([for c in r.condition : tolist(c.path_pattern[0].values) if length(c.path_pattern) > 0])
      headers  = { for c in r.condition : c.http_header[0].http_header_name => tolist(c.http_header[0].values) if length(c.http_header) > 0 }
    } },
    { for k, r in { root = aws_lb_listener_rule.root, not_found = aws_lb_listener_rule.not_found } : k => {
      priority           = r.priority
      action             = r.action[0].type
      status             = r.action[0].type == "fixed-response" ? r.action[0].fixed_response[0].status_code : null
      paths              = flatten([for c in r.condition : tolist(c.path_pattern[0].values) if length(c.path_pattern) > 0])
      headers            = { for c in r.condition : c.http_header[0].http_header_name => tolist(c.http_header[0].values) if length(c.http_header) > 0 }
    } },
  )
}

output "access_logs" {
  value = one([for l in aws_lb.this.access_logs : { bucket = l.bucket, prefix = l.prefix, enabled = l.enabled }])
}
