variable "name" {
  type = string
}

variable "domain_name" {
  description = "Public hostname fans use, e.g. tickets.example.org"
  type        = string
}

variable "certificate_arn_us_east_1" {
  description = "ACM certificate for domain_name; CloudFront only reads certificates in us-east-1"
  type        = string
}

variable "alb_origin_domain_name" {
  description = "Hostname CloudFront uses for the ALB, covered by the ALB's certificate (e.g. origin.tickets.example.org)"
  type        = string
}

variable "services" {
  description = "Service path prefixes whose /<svc>/assets/* come from the assets bucket"
  type        = list(string)
}

variable "assets_bucket" {
  type = string
}

variable "assets_bucket_arn" {
  type = string
}

variable "assets_bucket_regional_domain_name" {
  type = string
}

variable "images_bucket" {
  type = string
}

variable "images_bucket_arn" {
  type = string
}

variable "images_bucket_regional_domain_name" {
  type = string
}

variable "fairness_bucket" {
  type = string
}

variable "fairness_bucket_arn" {
  type = string
}

variable "fairness_bucket_regional_domain_name" {
  type = string
}

variable "price_class" {
  type    = string
  default = "PriceClass_100"
}

variable "web_acl_arn" {
  description = "WAFv2 web ACL (CLOUDFRONT scope, in us-east-1); empty: none"
  type        = string
  default     = ""
}

variable "origin_secret_header" {
  description = "Header added to every request to the ALB origin"
  type        = string
}

variable "origin_secret" {
  description = "Its value (the ALB's listener rules require it)"
  type        = string
  sensitive   = true
}

variable "logs_prefix" {
  type    = string
  default = "cloudfront/"
}

variable "logs_bucket_domain_name" {
  description = "Bucket (its bucket_domain_name) for CloudFront's standard access logs; empty: none"
  type        = string
  default     = ""
}
