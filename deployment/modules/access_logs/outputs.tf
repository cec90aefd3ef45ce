output "bucket" {
  description = "Bucket name, once its policy lets the ALB write (the ALB checks at configuration time)"
  value       = aws_s3_bucket.this.id
  depends_on  = [aws_s3_bucket_policy.this, aws_s3_bucket_ownership_controls.this]
}

output "bucket_domain_name" {
  description = "What CloudFront's logging_config takes"
  value       = aws_s3_bucket.this.bucket_domain_name
  depends_on  = [aws_s3_bucket_ownership_controls.this]
}

output "alb_prefix" {
  value = local.alb_prefix
}

output "cloudfront_prefix" {
  value = local.cloudfront_prefix
}

output "posture" {
  description = "What the plan checks read"
  value = {
    expire_days      = one(aws_s3_bucket_lifecycle_configuration.this.rule).expiration[0].days
    object_ownership = one(aws_s3_bucket_ownership_controls.this.rule).object_ownership
    block_public     = aws_s3_bucket_public_access_block.this.block_public_policy && aws_s3_bucket_public_access_block.this.block_public_acls
    sse              = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm
  }
}
