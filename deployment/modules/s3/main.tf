# Buckets for the frontends' hashed assets and for event images: private (CloudFront reads
# them through origin access control), versioned, encrypted, owner-enforced.
locals {
  buckets = {
    assets = "${var.name}-assets"
    images = "${var.name}-images"
  }
}

resource "aws_s3_bucket" "this" {
  for_each      = local.buckets
  bucket        = each.value
  force_destroy = false
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = aws_s3_bucket.this
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }
}

# Browsers upload event images straight to the bucket with presigned URLs from feed.
resource "aws_s3_bucket_cors_configuration" "images" {
  bucket = aws_s3_bucket.this["images"].id
  cors_rule {
    allowed_methods = ["PUT", "GET", "HEAD"]
    allowed_origins = var.allowed_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3000
  }
}

# Fairness documents (buffer, one per event under fairness/): the evidence a fan checks a draw
# against, so it outlives the sale. Private (buffer serves them), encrypted, versioned with no
# expiry of old versions: an overwrite never loses what was published. Only buffer's task role
# writes, and it may not delete. Not Object Lock: a default retention makes S3 demand a
# Content-MD5 or checksum on every PUT, which the buffer's client (checksums only when required,
# for S3-compatible stores) does not send.
resource "aws_s3_bucket" "fairness" {
  bucket        = "${var.name}-fairness"
  force_destroy = false
}

resource "aws_s3_bucket_public_access_block" "fairness" {
  bucket                  = aws_s3_bucket.fairness.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "fairness" {
  bucket = aws_s3_bucket.fairness.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "fairness" {
  bucket = aws_s3_bucket.fairness.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "fairness" {
  bucket = aws_s3_bucket.fairness.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
