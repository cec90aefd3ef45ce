# One public origin: hashed frontend assets and event images from S3 (origin access control,
# buckets stay private); everything else — pages, /api/, WebSockets — to the ALB over HTTPS,
# uncached, with cookies, query strings and the Upgrade handshake passed through.

locals {
  # AWS managed policies (stable IDs).
  caching_optimized          = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  caching_disabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  cors_s3_origin             = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"
  security_headers_policy_id = "67f7725c-6f97-4210-82d7-5512b31e9d03"

  images_path_pattern   = "/images/*"
  fairness_path_pattern = "/fairness/*"
}

resource "aws_cloudfront_origin_access_control" "s3" {
  name                              = "${var.name}-s3"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# What CloudFront sends to the ALB: every viewer header, cookie and query string, and
# CloudFront-Viewer-Address (the viewer's ip:port, measured by CloudFront), which the services
# take the client address from when the origin secret is present (libs/common
# clientAddressResolver; every per-client rate limit). CloudFront adds its own headers only when
# a policy names them: the API reference's header behaviours are `allViewer`/`allExcept` ("all
# HTTP headers in viewer requests"), `whitelist` and `allViewerAndWhitelistCloudFront` ("and the
# additional CloudFront headers that are listed ... added by CloudFront"),
# https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginRequestPolicyHeadersConfig.html.
# The managed AllViewerExceptHostHeader used before is `allExcept` Host, viewer headers only; of
# the managed policies only AllViewerAndCloudFrontHeaders-2022-06 lists CloudFront-Viewer-Address
# (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html),
# and it adds every other CloudFront header too. So: our own policy, naming the one we read.
#
# Price: with all viewer headers the viewer's Host (domain_name) reaches the ALB, and CloudFront
# then checks the ALB's certificate against that name, so the ALB certificate must cover
# domain_name as well as alb_origin_domain_name (docs/operations.md, first deploy). A whitelist
# of viewer headers would keep Host out, but it is capped at 10 headers (a soft quota) and would
# silently drop any header the code starts reading (Content-Type, Origin, Stripe-Signature,
# If-None-Match and four Sec-WebSocket-* already make nine).
resource "aws_cloudfront_origin_request_policy" "alb" {
  name    = "${var.name}-alb"
  comment = "All viewer headers, cookies, query strings, and CloudFront-Viewer-Address"
  headers_config {
    header_behavior = "allViewerAndWhitelistCloudFront"
    headers {
      items = ["CloudFront-Viewer-Address"]
    }
  }
  cookies_config {
    cookie_behavior = "all"
  }
  query_strings_config {
    query_string_behavior = "all"
  }
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

  origin {
    origin_id                = "fairness"
    domain_name              = var.fairness_bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.s3.id
  }

  # Pages, API and WebSockets.
  default_cache_behavior {
    target_origin_id           = "alb"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = local.caching_disabled
    origin_request_policy_id   = aws_cloudfront_origin_request_policy.alb.id
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

  # Poster images, and fairness documents (immutable once stored: gzip, ETag, a year of caching
  # set on the object; buffer's fairness route redirects here, so their bytes never pass through
  # the services). Both straight from their bucket, in this order.
  dynamic "ordered_cache_behavior" {
    for_each = [
      { path = local.images_path_pattern, origin = "images" },
      { path = local.fairness_path_pattern, origin = "fairness" },
    ]
    content {
      path_pattern               = ordered_cache_behavior.value.path
      target_origin_id           = ordered_cache_behavior.value.origin
      viewer_protocol_policy     = "redirect-to-https"
      allowed_methods            = ["GET", "HEAD", "OPTIONS"]
      cached_methods             = ["GET", "HEAD"]
      cache_policy_id            = local.caching_optimized
      origin_request_policy_id   = local.cors_s3_origin
      response_headers_policy_id = local.security_headers_policy_id
      compress                   = true
    }
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
    assets   = var.assets_bucket_arn
    images   = var.images_bucket_arn
    fairness = var.fairness_bucket_arn
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

resource "aws_s3_bucket_policy" "fairness" {
  bucket = var.fairness_bucket
  policy = data.aws_iam_policy_document.bucket_read["fairness"].json
}
