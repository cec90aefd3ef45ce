# One public origin: hashed frontend assets and event images from S3 (origin access control,
# buckets stay private); everything else — pages, /api/, WebSockets — to the ALB over HTTPS,
# uncached, with cookies, query strings and the Upgrade handshake passed through.

locals {
  # AWS managed policies (stable IDs).
  caching_optimized          = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  caching_disabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  all_viewer_except_host     = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
  cors_s3_origin             = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"
  security_headers_policy_id = "67f7725c-6f97-4210-82d7-5512b31e9d03"

  images_path_pattern = "/images/*"
}

resource "aws_cloudfront_origin_access_control" "s3" {
  name                              = "${var.name}-s3"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "this" {
  enabled         = true
  is_ipv6_enabled = true
  http_version    = "http2and3"
  price_class     = var.price_class
  aliases         = [var.domain_name]
  comment         = var.name
  web_acl_id      = var.web_acl_arn == "" ? null : var.web_acl_arn

  origin {
    origin_id   = "alb"
    domain_name = var.alb_origin_domain_name
    # The ALB forwards only requests carrying this header (its listener rules require it).
    custom_header {
      name  = var.origin_secret_header
      value = var.origin_secret
    }
    custom_origin_config {
      http_port                = 80
      https_port               = 443
      origin_protocol_policy   = "https-only"
      origin_ssl_protocols     = ["TLSv1.2"]
      origin_read_timeout      = 60
      origin_keepalive_timeout = 60
    }
  }

  origin {
    origin_id                = "assets"
    domain_name              = var.assets_bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.s3.id
  }

  origin {
    origin_id                = "images"
    domain_name              = var.images_bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.s3.id
  }

  # Pages, API and WebSockets.
  default_cache_behavior {
    target_origin_id           = "alb"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = local.caching_disabled
    origin_request_policy_id   = local.all_viewer_except_host
    response_headers_policy_id = local.security_headers_policy_id
    compress                   = true
  }

  # Hashed, immutable frontend assets published by deployment/scripts/publish-assets.ts.
  dynamic "ordered_cache_behavior" {
    for_each = var.services
    content {
      path_pattern               = "/${ordered_cache_behavior.value}/assets/*"
      target_origin_id           = "assets"
      viewer_protocol_policy     = "redirect-to-https"
      allowed_methods            = ["GET", "HEAD", "OPTIONS"]
      cached_methods             = ["GET", "HEAD"]
      cache_policy_id            = local.caching_optimized
      origin_request_policy_id   = local.cors_s3_origin
      response_headers_policy_id = local.security_headers_policy_id
      compress                   = true
    }
  }

  ordered_cache_behavior {
    path_pattern               = local.images_path_pattern
    target_origin_id           = "images"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = local.caching_optimized
    origin_request_policy_id   = local.cors_s3_origin
    response_headers_policy_id = local.security_headers_policy_id
    compress                   = true
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = var.certificate_arn_us_east_1
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  dynamic "logging_config" {
    for_each = var.logs_bucket_domain_name == "" ? [] : [var.logs_bucket_domain_name]
    content {
      bucket          = logging_config.value
      prefix          = var.logs_prefix
      include_cookies = false
    }
  }
}

# Only this distribution may read the buckets.
data "aws_iam_policy_document" "bucket_read" {
  for_each = {
    assets = var.assets_bucket_arn
    images = var.images_bucket_arn
  }
  statement {
    sid       = "CloudFrontOriginAccessControl"
    actions   = ["s3:GetObject"]
    resources = ["${each.value}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "assets" {
  bucket = var.assets_bucket
  policy = data.aws_iam_policy_document.bucket_read["assets"].json
}

resource "aws_s3_bucket_policy" "images" {
  bucket = var.images_bucket
  policy = data.aws_iam_policy_document.bucket_read["images"].json
}
