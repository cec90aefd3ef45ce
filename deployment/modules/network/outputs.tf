output "vpc_id" {
  value = aws_vpc.this.id
}

output "public_subnet_ids" {
  value = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  value = aws_subnet.private[*].id
}

output "alb_security_group_id" {
  value = aws_security_group.alb.id
}

output "services_security_group_id" {
  value = aws_security_group.services.id
}

output "rds_security_group_id" {
  value = aws_security_group.rds.id
}

output "msk_security_group_id" {
  value = aws_security_group.msk.id
}

output "ingress_rules" {
  description = "Every ingress rule: security group, ports and source (what can reach what)"
  value = [for r in local.ingress_rules : {
    security_group = local.security_groups[r.security_group_id]
    from_port      = r.from_port
    to_port        = r.to_port
    cidr_ipv4      = r.cidr_ipv4
    cidr_ipv6      = r.cidr_ipv6
    prefix_list_id = r.prefix_list_id
    source_group   = r.referenced_security_group_id == null ? null : local.security_groups[r.referenced_security_group_id]
  }]
}

output "cloudfront_prefix_list_id" {
  value = data.aws_ec2_managed_prefix_list.cloudfront.id
}

output "rule_quota_use" {
  description = "Per security group, the rules it holds as counted against the quota (prefix lists by their max entries)"
  value       = local.rule_weight
}

output "interface_endpoints" {
  description = "service name => its interface endpoint: private DNS on, in the private subnets, behind the endpoints group"
  value = { for k, e in aws_vpc_endpoint.interface : k => {
    private_dns_enabled = e.private_dns_enabled
    security_group_ids  = e.security_group_ids
  } }
}

output "api_gateway_link_security_group_id" {
  value = aws_security_group.api_gateway_link.id
}
