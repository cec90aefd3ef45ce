variable "environment" {
  description = "staging or production"
  type        = string
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "aws_account_id" {
  description = "The environment's AWS account: the provider refuses to touch any other (staging and production are separate accounts)"
  type        = string
  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id is a 12-digit AWS account id."
  }
}

variable "ecr_replicate_to_account_ids" {
  description = "Accounts this environment's ECR replicates every image to (staging: production's). Images are pushed once, to the account that builds them"
  type        = list(string)
  default     = []
}

variable "ecr_accept_replication_from_account_ids" {
  description = "Accounts allowed to replicate images into this environment's ECR (production: staging's)"
  type        = list(string)
  default     = []
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
  description = "Per service Fargate size, task count bounds and database pool per task (DB_POOL_SIZE)"
  type = map(object({
    cpu       = number
    memory    = number
    min_count = number
    max_count = number
    db_pool   = number
  }))
}

variable "rds_max_connections" {
  description = "max_connections set on RDS; every task at max_count with its pool must fit (see db_connection_budget)"
  type        = number
}

variable "db_connections_per_task_outside_pool" {
  description = "Connections a task opens besides its pool: the outbox relay's LISTEN, queue's fan-signal listener"
  type        = number
  default     = 2
}

variable "db_reserved_connections" {
  description = "Kept free for migrations, the admin command, psql and RDS's own (superuser_reserved_connections)"
  type        = number
  default     = 20
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
