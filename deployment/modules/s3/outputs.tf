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
