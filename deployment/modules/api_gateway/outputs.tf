output "endpoint" {
  description = "The API's invoke URL (https://<id>.execute-api.<region>.amazonaws.com)"
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "routes" {
  description = "route key => its throttle"
  value = { for s in aws_apigatewayv2_stage.default.route_settings : s.route_key => {
    rate  = s.throttling_rate_limit
    burst = s.throttling_burst_limit
  } }
}

output "route_keys" {
  value = [for r in aws_apigatewayv2_route.service : r.route_key]
}

output "integrations" {
  description = "service => how its integration reaches the ALB"
  sensitive   = true
  value = { for k, i in aws_apigatewayv2_integration.service : k => {
    connection_type    = i.connection_type
    integration_uri    = i.integration_uri
    request_parameters = i.request_parameters
  } }
}

output "access_log_destination" {
  value = one(aws_apigatewayv2_stage.default.access_log_settings).destination_arn
}

output "access_log_group" {
  value = aws_cloudwatch_log_group.access.arn
}

output "access_logging" {
  description = "The stage has access log settings (their destination is the log group above)"
  value       = length(aws_apigatewayv2_stage.default.access_log_settings) == 1
}
