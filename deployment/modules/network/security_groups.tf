# Tiers: internet -> ALB -> services -> (RDS, MSK). Only the ALB takes traffic from outside the
# VPC, and only from CloudFront's origin-facing ranges on 80/443 (or from anywhere on 80/443
# when var.alb_open_to_internet is set, e.g. before CloudFront exists).

data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Application Load Balancer: HTTP/HTTPS from CloudFront"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_cloudfront" {
  for_each          = var.alb_open_to_internet ? toset([]) : toset(["80", "443"])
  security_group_id = aws_security_group.alb.id
  description       = "CloudFront origin-facing ranges"
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront.id
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_internet" {
  for_each          = var.alb_open_to_internet ? toset(["80", "443"]) : toset([])
  security_group_id = aws_security_group.alb.id
  description       = "HTTP/HTTPS from the internet"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
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
  description = "Kafka brokers: SASL/SCRAM over TLS, only from the services and the topic runner"
  vpc_id      = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "msk_from_services" {
  security_group_id            = aws_security_group.msk.id
  referenced_security_group_id = aws_security_group.services.id
  ip_protocol                  = "tcp"
  from_port                    = 9096
  to_port                      = 9096
}

# Where Terraform's kafka provider runs (a CI runner or bastion inside the VPC), if any.
resource "aws_vpc_security_group_ingress_rule" "msk_from_admin" {
  for_each          = toset(var.kafka_admin_cidrs)
  security_group_id = aws_security_group.msk.id
  description       = "topic management runner inside the VPC"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 9096
  to_port           = 9096
}
