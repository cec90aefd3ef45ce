# Tiers: internet -> ALB -> services -> (RDS, MSK). Only the ALB takes traffic from outside the
# VPC, and only on 443: from CloudFront's origin-facing ranges (CloudFront reaches it over HTTPS
# only), or from anywhere when var.alb_open_to_internet is set (e.g. before CloudFront exists).
#
# A rule naming a prefix list counts as as many rules as the list's max entries against the
# security group's rule quota (60 inbound by default): CloudFront's origin-facing list has 55, so
# it is referenced once, for 443. Port 80 is not opened: there is nobody to redirect.

data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Application Load Balancer: HTTP/HTTPS from CloudFront"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_cloudfront" {
  count             = var.alb_open_to_internet ? 0 : 1
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from CloudFront origin-facing ranges"
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront.id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_internet" {
  count             = var.alb_open_to_internet ? 1 : 0
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the internet"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "alb_to_services" {
  security_group_id            = aws_security_group.alb.id
  description                  = "to the service containers"
  referenced_security_group_id = aws_security_group.services.id
  ip_protocol                  = "tcp"
  from_port                    = var.service_port_range[0]
  to_port                      = var.service_port_range[1]
}

resource "aws_security_group" "services" {
  name        = "${var.name}-services"
  description = "ECS tasks of the five services"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "services_from_alb" {
  security_group_id            = aws_security_group.services.id
  description                  = "from the ALB"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = var.service_port_range[0]
  to_port                      = var.service_port_range[1]
}

# Services call each other directly (JWKS documents, purchase -> payment API).
resource "aws_vpc_security_group_ingress_rule" "services_from_services" {
  security_group_id            = aws_security_group.services.id
  description                  = "service to service"
  referenced_security_group_id = aws_security_group.services.id
  ip_protocol                  = "tcp"
  from_port                    = var.service_port_range[0]
  to_port                      = var.service_port_range[1]
}

resource "aws_vpc_security_group_egress_rule" "services_to_services" {
  security_group_id            = aws_security_group.services.id
  description                  = "service to service"
  referenced_security_group_id = aws_security_group.services.id
  ip_protocol                  = "tcp"
  from_port                    = var.service_port_range[0]
  to_port                      = var.service_port_range[1]
}

resource "aws_vpc_security_group_egress_rule" "services_https" {
  security_group_id = aws_security_group.services.id
  description       = "HTTPS out: Stripe, Google, ECR, Secrets Manager, CloudWatch, drand"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "services_smtp" {
  security_group_id = aws_security_group.services.id
  description       = "SMTP submission (TLS)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = var.smtp_port
  to_port           = var.smtp_port
}

resource "aws_vpc_security_group_egress_rule" "services_to_rds" {
  security_group_id            = aws_security_group.services.id
  referenced_security_group_id = aws_security_group.rds.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_egress_rule" "services_to_msk" {
  security_group_id            = aws_security_group.services.id
  description                  = "MSK SASL/SCRAM over TLS"
  referenced_security_group_id = aws_security_group.msk.id
  ip_protocol                  = "tcp"
  from_port                    = 9096
  to_port                      = 9096
}

resource "aws_security_group" "rds" {
  name        = "${var.name}-rds"
  description = "PostgreSQL: only from the services"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "rds_from_services" {
  security_group_id            = aws_security_group.rds.id
  referenced_security_group_id = aws_security_group.services.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_security_group" "msk" {
  name        = "${var.name}-msk"
  description = "Kafka brokers: SASL/SCRAM over TLS, only from the services"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "msk_from_services" {
  security_group_id            = aws_security_group.msk.id
  referenced_security_group_id = aws_security_group.services.id
  ip_protocol                  = "tcp"
  from_port                    = 9096
  to_port                      = 9096
}

# The interface endpoints take HTTPS from the services only.
resource "aws_security_group" "endpoints" {
  name        = "${var.name}-endpoints"
  description = "VPC interface endpoints: HTTPS from the services"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_services" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from the service containers"
  referenced_security_group_id = aws_security_group.services.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

# The optional API Gateway's VPC link (modules/api_gateway) reaches the ALB's 443 from these
# ENIs. Created whether or not the API is on: a group and two rules cost nothing.
resource "aws_security_group" "api_gateway_link" {
  name        = "${var.name}-api-gateway-link"
  description = "API Gateway VPC link: HTTPS to the ALB"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_egress_rule" "api_gateway_link_to_alb" {
  security_group_id            = aws_security_group.api_gateway_link.id
  description                  = "to the ALB's HTTPS listener"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_api_gateway_link" {
  security_group_id            = aws_security_group.alb.id
  description                  = "HTTPS from the API Gateway VPC link"
  referenced_security_group_id = aws_security_group.api_gateway_link.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

# Every rule above, for the outputs the tests read (deployment/test checks none is left out).
locals {
  security_groups = {
    (aws_security_group.alb.id)              = "alb"
    (aws_security_group.services.id)         = "services"
    (aws_security_group.rds.id)              = "rds"
    (aws_security_group.msk.id)              = "msk"
    (aws_security_group.endpoints.id)        = "endpoints"
    (aws_security_group.api_gateway_link.id) = "api_gateway_link"
  }
  ingress_rules = concat(
    aws_vpc_security_group_ingress_rule.alb_from_cloudfront,
    aws_vpc_security_group_ingress_rule.alb_from_internet,
    [
      aws_vpc_security_group_ingress_rule.services_from_alb,
      aws_vpc_security_group_ingress_rule.services_from_services,
      aws_vpc_security_group_ingress_rule.rds_from_services,
      aws_vpc_security_group_ingress_rule.msk_from_services,
      aws_vpc_security_group_ingress_rule.endpoints_from_services,
      aws_vpc_security_group_ingress_rule.alb_from_api_gateway_link,
    ],
  )
  egress_rules = [
    aws_vpc_security_group_egress_rule.alb_to_services,
    aws_vpc_security_group_egress_rule.services_to_services,
    aws_vpc_security_group_egress_rule.services_https,
    aws_vpc_security_group_egress_rule.services_smtp,
    aws_vpc_security_group_egress_rule.services_to_rds,
    aws_vpc_security_group_egress_rule.services_to_msk,
    aws_vpc_security_group_egress_rule.api_gateway_link_to_alb,
  ]
  # A prefix-list rule weighs the list's max entries against the quota.
  rule_weight = { for name in values(local.security_groups) : name => {
    ingress = sum(concat([0], [for r in local.ingress_rules : r.prefix_list_id == null ? 1 : data.aws_ec2_managed_prefix_list.cloudfront.max_entries if local.security_groups[r.security_group_id] == name]))
    egress  = sum(concat([0], [for r in local.egress_rules : r.prefix_list_id == null ? 1 : data.aws_ec2_managed_prefix_list.cloudfront.max_entries if local.security_groups[r.security_group_id] == name]))
  } }
}
