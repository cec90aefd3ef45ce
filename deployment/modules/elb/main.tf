# Public ALB, HTTPS only (CloudFront reaches it over HTTPS; nothing listens on 80): routes the
# five path prefixes to their target groups. The idle timeout is long because queue pages hold
# WebSockets for the whole wait.
resource "aws_lb" "this" {
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [var.alb_security_group_id]
  idle_timeout               = var.idle_timeout_seconds
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  dynamic "access_logs" {
    for_each = var.access_logs_bucket == "" ? [] : [var.access_logs_bucket]
    content {
      bucket  = access_logs.value
      prefix  = var.access_logs_prefix
      enabled = true
    }
  }
}

resource "aws_lb_target_group" "service" {
  for_each    = var.services
  name        = "${var.name}-${each.key}"
  port        = each.value.port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id
  # Give in-flight requests and WebSockets time to finish; clients reconnect elsewhere.
  deregistration_delay = var.deregistration_delay_seconds

  # Liveness, not readiness: /readyz asks the database and Kafka, so an RDS Multi-AZ failover or
  # a broker restart would mark every target unhealthy at once and ECS would replace them all.
  # A process that cannot reach them answers 503 on its routes and recovers by itself.
  health_check {
    path                = "/${each.key}/healthz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

# Only our CloudFront distribution gets past the listener: it adds the origin secret header to
# every origin request and every rule below requires it. Anything else that reaches the ALB
# (another distribution, which CloudFront's prefix list would let through, or a direct request)
# falls through to the default action: a fixed 403.
resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn
  default_action {
    type = "fixed-response"
    fixed_response {
      # ALB fixed responses only take text/plain, text/css, text/html, application/javascript
      # or application/json; the body is still a problem document.
      content_type = "application/json"
      message_body = "{\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403}"
      status_code  = "403"
    }
  }
}

locals {
  origin_secret_condition = {
    http_header_name = var.origin_secret_header
    values           = [var.origin_secret]
  }
}

# Operations endpoints are never forwarded, whoever asks and whatever the service does with
# them (the services serve them on ADMIN_PORT only, which no target group uses): a fixed 404
# ahead of the service's forward rule.
resource "aws_lb_listener_rule" "ops_not_public" {
  for_each     = var.services
  listener_arn = aws_lb_listener.https.arn
  priority     = each.value.priority - 5
  action {
    type = "fixed-response"
    fixed_response {
      content_type = "application/json"
      message_body = "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404}"
      status_code  = "404"
    }
  }
  condition {
    path_pattern {
      values = flatten([for p in var.ops_paths : ["/${each.key}/${p}", "/${each.key}/${p}/*"]])
    }
  }
}

resource "aws_lb_listener_rule" "service" {
  for_each     = var.services
  listener_arn = aws_lb_listener.https.arn
  priority     = each.value.priority
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.service[each.key].arn
  }
  condition {
    path_pattern {
      values = ["/${each.key}", "/${each.key}/*"]
    }
  }
  condition {
    http_header {
      http_header_name = local.origin_secret_condition.http_header_name
      values           = local.origin_secret_condition.values
    }
  }
}

resource "aws_lb_listener_rule" "root" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 1
  action {
    type = "redirect"
    redirect {
      path        = "/feed/"
      status_code = "HTTP_302"
    }
  }
  condition {
    path_pattern {
      values = ["/"]
    }
  }
  condition {
    http_header {
      http_header_name = local.origin_secret_condition.http_header_name
      values           = local.origin_secret_condition.values
    }
  }
}

# Through CloudFront, a path no service owns is a 404 (not the 403 of a request without the header).
resource "aws_lb_listener_rule" "not_found" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 50000
  action {
    type = "fixed-response"
    fixed_response {
      content_type = "application/json"
      message_body = "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404}"
      status_code  = "404"
    }
  }
  condition {
    http_header {
      http_header_name = local.origin_secret_condition.http_header_name
      values           = local.origin_secret_condition.values
    }
  }
}
