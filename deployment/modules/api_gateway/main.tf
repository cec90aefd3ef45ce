# Optional (var.api_gateway_enabled in the root, off by default): an HTTP API in front of the
# services' JSON APIs, reaching the ALB's HTTPS listener through a VPC link. Routes are
# `ANY /<svc>/api/{proxy+}` only: pages, assets and WebSockets stay on CloudFront (an HTTP API
# carries no WebSocket upgrade). Each route has its own throttle; every request is logged to
# CloudWatch. The integration sets the origin secret header (the ALB forwards nothing without
# it) and CloudFront-Viewer-Address from the caller's address, overwriting what the client
# sent, so the services' per-client limits see the real client (libs/common clientIp).
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"
  description   = "TicketSlave JSON APIs (${join(", ", keys(var.routes))})"
}

resource "aws_apigatewayv2_vpc_link" "this" {
  name               = var.name
  subnet_ids         = var.private_subnet_ids
  security_group_ids = [var.vpc_link_security_group_id]
}

resource "aws_apigatewayv2_integration" "service" {
  for_each               = var.routes
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "HTTP_PROXY"
  integration_method     = "ANY"
  connection_type        = "VPC_LINK"
  connection_id          = aws_apigatewayv2_vpc_link.this.id
  integration_uri        = var.alb_listener_arn
  payload_format_version = "1.0"
  timeout_milliseconds   = 29000
  # The ALB's certificate names the origin host, not the ALB's own DNS name.
  tls_config {
    server_name_to_verify = var.alb_origin_domain_name
  }
  request_parameters = {
    "overwrite:header.${var.origin_secret_header}" = var.origin_secret
    "overwrite:header.CloudFront-Viewer-Address"   = "$context.identity.sourceIp:0"
  }
}

resource "aws_apigatewayv2_route" "service" {
  for_each  = var.routes
  api_id    = aws_apigatewayv2_api.this.id
  route_key = "ANY /${each.key}/api/{proxy+}"
  target    = "integrations/${aws_apigatewayv2_integration.service[each.key].id}"
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/ticketslave/${var.name}/api-gateway"
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.default_throttle.burst
    throttling_rate_limit  = var.default_throttle.rate
  }

  dynamic "route_settings" {
    for_each = var.routes
    content {
      route_key              = aws_apigatewayv2_route.service[route_settings.key].route_key
      throttling_burst_limit = route_settings.value.burst
      throttling_rate_limit  = route_settings.value.rate
    }
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      ip             = "$context.identity.sourceIp"
      requestTime    = "$context.requestTime"
      method         = "$context.httpMethod"
      path           = "$context.path"
      routeKey       = "$context.routeKey"
      status         = "$context.status"
      responseLength = "$context.responseLength"
      latencyMs      = "$context.responseLatency"
      integrationMs  = "$context.integrationLatency"
      error          = "$context.integrationErrorMessage"
    })
  }
}
