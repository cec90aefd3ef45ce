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
  description = "ACM certificate in var.region covering alb_origin_domain_name and domain_name (CloudFront forwards the viewer's Host, modules/cloudfront)"
  type        = string
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate in us-east-1 for domain_name"
  type        = string
}

variable "waf_rate_limit_per_5_minutes" {
  description = "WAF: requests per client address in 5 minutes before 429s (modules/waf)"
  type        = number
  default     = 3000
}

variable "waf_bot_control" {
  description = "WAF: add AWS Bot Control (billed per request)"
  type        = bool
  default     = false
}

variable "origin_secret_header" {
  description = "Header CloudFront adds to origin requests; the ALB requires it and the services read it (ORIGIN_SECRET_HEADER)"
  type        = string
  default     = "X-Origin-Secret"
}

variable "access_logs_expire_days" {
  description = "Days ALB and CloudFront access logs are kept"
  type        = number
  default     = 90
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic"
  type        = list(string)
  default     = []
}

variable "dlq_log_messages" {
  description = "The log messages of a message sent to a dead-letter topic (libs/common DLQ_LOG_MESSAGES; the plan checks compare)"
  type        = list(string)
  default     = ["poison message sent to DLQ", "message failed, sent to DLQ"]
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
  description = "drand HTTP API of the beacon chain the buffer draws with: drand's quicknet (docs/fairness.md)"
  type        = string
  default     = "https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
}

variable "beacon_chain_hash" {
  description = "The chain the buffer pins (BEACON_CHAIN_HASH): quicknet's"
  type        = string
  default     = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.beacon_chain_hash))
    error_message = "beacon_chain_hash is 64 lowercase hex characters."
  }
}

variable "admin_port" {
  description = "The services' internal listener for /<svc>/metrics and /<svc>/readyz (ADMIN_PORT); outside the service port range, so nothing outside the task reaches it"
  type        = number
  default     = 9090
}

variable "msk_acls_enforced" {
  description = "MSK refuses whatever no ACL allows: set true once the ACL bootstrap ran (docs/operations.md, \"Kafka users and ACLs\")"
  type        = bool
  default     = false
}

variable "api_gateway_enabled" {
  description = "Put an HTTP API (modules/api_gateway) in front of the JSON APIs, besides CloudFront"
  type        = bool
  default     = false
}

variable "api_gateway_throttles" {
  description = "With api_gateway_enabled: per service API, requests per second (rate) and burst, all clients together"
  type = map(object({
    rate  = number
    burst = number
  }))
  default = {
    feed     = { rate = 500, burst = 1000 }
    buffer   = { rate = 2000, burst = 5000 }
    queue    = { rate = 1000, burst = 2000 }
    purchase = { rate = 500, burst = 1000 }
    payment  = { rate = 200, burst = 400 }
  }
}
