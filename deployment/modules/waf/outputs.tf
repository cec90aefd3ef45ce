output "web_acl_arn" {
  description = "What CloudFront's web_acl_id takes for WAFv2"
  value       = aws_wafv2_web_acl.this.arn
}

output "rules" {
  description = "rule name => priority, in the order WAF evaluates them"
  value       = { for r in aws_wafv2_web_acl.this.rule : r.name => r.priority }
}

output "scope" {
  value = aws_wafv2_web_acl.this.scope
}

output "rate_limit" {
  value = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0] if r.name == "rate-per-client"])
}
