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
      prefix  = var.name
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
      message_body = "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404}"
      status_code  = "404"
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
}
