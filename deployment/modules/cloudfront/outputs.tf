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
