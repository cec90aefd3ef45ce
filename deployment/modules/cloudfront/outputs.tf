output "distribution_id" {
  value = aws_cloudfront_distribution.this.id
}

output "domain_name" {
  description = "CloudFront's own hostname: point the public DNS name (CNAME/alias) here"
  value       = aws_cloudfront_distribution.this.domain_name
}

output "hosted_zone_id" {
  value = aws_cloudfront_distribution.this.hosted_zone_id
}

output "images_path_pattern" {
  description = "Public paths served from the images bucket (the path is the object key)"
  value       = local.images_path_pattern
}

output "fairness_path_pattern" {
  description = "Public paths served from the fairness bucket (the path is the object key)"
  value       = local.fairness_path_pattern
}

output "fairness_origin_bucket" {
  description = "The bucket behind fairness_path_pattern"
  value       = [for b in aws_cloudfront_distribution.this.ordered_cache_behavior : [for o in aws_cloudfront_distribution.this.origin : o.domain_name if o.origin_id == b.target_origin_id][0] if b.path_pattern == local.fairness_path_pattern][0]
}

output "web_acl_id" {
  value = aws_cloudfront_distribution.this.web_acl_id
}

output "alb_origin_headers" {
  description = "Header names CloudFront adds to requests to the ALB"
  value       = [for o in aws_cloudfront_distribution.this.origin : [for h in o.custom_header : h.name] if o.origin_id == "alb"][0]
}

output "logging" {
  value = [for l in aws_cloudfront_distribution.this.logging_config : { bucket = l.bucket, prefix = l.prefix }]
}

output "alb_origin_request" {
  description = "What CloudFront forwards to the ALB: the default behaviour's origin request policy"
  value = {
    policy_id        = one(aws_cloudfront_distribution.this.default_cache_behavior).origin_request_policy_id
    own_policy_id    = aws_cloudfront_origin_request_policy.alb.id
    header_behavior  = one(aws_cloudfront_origin_request_policy.alb.headers_config).header_behavior
    headers          = flatten([for h in one(aws_cloudfront_origin_request_policy.alb.headers_config).headers : h.items])
    cookie_behavior  = one(aws_cloudfront_origin_request_policy.alb.cookies_config).cookie_behavior
    query_behavior   = one(aws_cloudfront_origin_request_policy.alb.query_strings_config).query_string_behavior
    target_origin_id = one(aws_cloudfront_distribution.this.default_cache_behavior).target_origin_id
  }
}
