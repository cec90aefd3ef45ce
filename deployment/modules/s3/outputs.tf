output "assets_bucket" {
  value = aws_s3_bucket.this["assets"].id
}

output "assets_bucket_arn" {
  value = aws_s3_bucket.this["assets"].arn
}

output "assets_bucket_regional_domain_name" {
  value = aws_s3_bucket.this["assets"].bucket_regional_domain_name
}

output "images_bucket" {
  value = aws_s3_bucket.this["images"].id
}

output "images_bucket_arn" {
  value = aws_s3_bucket.this["images"].arn
}

output "images_bucket_regional_domain_name" {
  value = aws_s3_bucket.this["images"].bucket_regional_domain_name
}

output "fairness_bucket" {
  value = aws_s3_bucket.fairness.id
}

output "fairness_bucket_arn" {
  value = aws_s3_bucket.fairness.arn
}

output "fairness_bucket_regional_domain_name" {
  value = aws_s3_bucket.fairness.bucket_regional_domain_name
}

output "fairness_posture" {
  description = "What the plan checks read"
  value = {
    versioning   = one(aws_s3_bucket_versioning.fairness.versioning_configuration).status
    block_public = aws_s3_bucket_public_access_block.fairness.block_public_policy && aws_s3_bucket_public_access_block.fairness.restrict_public_buckets && aws_s3_bucket_public_access_block.fairness.block_public_acls && aws_s3_bucket_public_access_block.fairness.ignore_public_acls
    sse          = one(aws_s3_bucket_server_side_encryption_configuration.fairness.rule).apply_server_side_encryption_by_default[0].sse_algorithm
  }
}
