variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "public_subnet_ids" {
  type = list(string)
}

variable "alb_security_group_id" {
  type = string
}

variable "certificate_arn" {
  description = "ACM certificate (in the stack's region) for the ALB's origin hostname"
  type        = string
}

variable "ssl_policy" {
  description = "TLS 1.3 + 1.2 with hybrid post-quantum key exchange, AWS's recommended policy"
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
}

variable "services" {
  description = "service name => { port, priority } (priority of its listener rule; priority - 5 is its ops 404 rule)"
  type = map(object({
    port     = number
    priority = number
  }))
}

variable "idle_timeout_seconds" {
  description = "Above the WebSocket heartbeat interval with a wide margin"
  type        = number
  default     = 3600
}

variable "deregistration_delay_seconds" {
  type    = number
  default = 30
}

variable "deletion_protection" {
  type    = bool
  default = true
}

variable "access_logs_bucket" {
  description = "Bucket for ALB access logs; empty disables them"
  type        = string
  default     = ""
}

variable "access_logs_prefix" {
  type    = string
  default = "alb"
}

variable "origin_secret_header" {
  description = "The header CloudFront adds to every origin request (the services' ORIGIN_SECRET_HEADER)"
  type        = string
}

variable "origin_secret" {
  description = "Its value: requests without it get the listener's fixed 403"
  type        = string
  sensitive   = true
}

variable "ops_paths" {
  description = "Paths under each service's prefix the ALB answers 404 itself (served on the internal ADMIN_PORT only)"
  type        = list(string)
  default     = ["metrics", "readyz"]
}
