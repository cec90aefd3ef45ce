variable "environment" {
  description = "staging or production"
  type        = string
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "region" {
  type    = string
  default = "eu-central-1"
}

variable "domain_name" {
  description = "Public hostname, served by CloudFront"
  type        = string
}

variable "alb_origin_domain_name" {
  description = "Hostname CloudFront uses to reach the ALB (CNAME to the ALB, covered by alb_certificate_arn)"
  type        = string
}

variable "alb_certificate_arn" {
  description = "ACM certificate in var.region for alb_origin_domain_name"
  type        = string
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate in us-east-1 for domain_name"
  type        = string
}

variable "cloudfront_web_acl_arn" {
  type    = string
  default = ""
}

variable "image_tag" {
  description = "Git sha of the images to run (push_to_ecr.sh tags)"
  type        = string
}

variable "vpc_cidr" {
  type    = string
  default = "10.40.0.0/16"
}

variable "az_count" {
  type    = number
  default = 3
}

variable "single_nat_gateway" {
  type    = bool
  default = false
}

variable "alb_open_to_internet" {
  type    = bool
  default = false
}

variable "kafka_admin_cidrs" {
  type    = list(string)
  default = []
}

variable "manage_kafka_topics" {
  description = "Apply the kafka_topics module (needs network reach to MSK)"
  type        = bool
  default     = false
}

variable "kafka_version" {
  type    = string
  default = "3.9.x.kraft"
}

variable "msk_broker_instance_type" {
  type    = string
  default = "kafka.m7g.large"
}

variable "msk_broker_volume_gb" {
  type    = number
  default = 100
}

variable "rds_instance_class" {
  type    = string
  default = "db.m7g.large"
}

variable "rds_allocated_storage_gb" {
  type    = number
  default = 100
}

variable "rds_multi_az" {
  type    = bool
  default = true
}

variable "rds_backup_retention_days" {
  type    = number
  default = 14
}

variable "deletion_protection" {
  type    = bool
  default = true
}

variable "service_sizing" {
  description = "Per service Fargate size and task count bounds"
  type = map(object({
    cpu       = number
    memory    = number
    min_count = number
    max_count = number
  }))
}

variable "cpu_target_percent" {
  type    = number
  default = 60
}

variable "requests_per_target" {
  description = "ALB requests per target per minute the autoscaler aims at"
  type        = number
  default     = 3000
}

variable "queue_connections_per_task" {
  description = "WebSocket connections per queue task the autoscaler aims at (to be measured by npm run bench:queue)"
  type        = number
  default     = 20000
}

variable "log_level" {
  type    = string
  default = "info"
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "mail_from" {
  type = string
}

variable "google_client_id" {
  type = string
}

variable "beacon_url" {
  description = "Public randomness beacon (drand)"
  type        = string
  default     = "https://api.drand.sh"
}
