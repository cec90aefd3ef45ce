variable "name" {
  description = "Cluster name and resource prefix, e.g. ticketslave-production"
  type        = string
}

variable "services" {
  description = "service name => its task and scaling settings. `secrets` maps an env var name to a Secrets Manager/SSM ARN (valueFrom)."
  type = map(object({
    port                 = number
    cpu                  = number
    memory               = number
    min_count            = number
    max_count            = number
    cpu_target_percent   = number
    requests_per_target  = number
    connections_per_task = optional(number)
    environment          = map(string)
    secrets              = map(string)
    task_policy_json     = optional(string)
  }))
}

variable "repository_urls" {
  description = "service name => ECR repository URL"
  type        = map(string)
}

variable "image_tag" {
  description = "Image tag to run (the git sha pushed by push_to_ecr.sh)"
  type        = string
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "services_security_group_id" {
  type = string
}

variable "target_group_arns" {
  type = map(string)
}

variable "target_group_arn_suffixes" {
  type = map(string)
}

variable "alb_arn_suffix" {
  type = string
}

variable "secrets_kms_key_arns" {
  description = "Customer-managed KMS keys the secrets are encrypted with"
  type        = list(string)
  default     = []
}

variable "cpu_architecture" {
  type    = string
  default = "X86_64"
}

variable "metrics_namespace" {
  type    = string
  default = "TicketSlave"
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "region" {
  description = "Region of the log groups (awslogs driver)"
  type        = string
}

variable "metrics_agent_enabled" {
  description = "Run a CloudWatch agent beside each service that scrapes its Prometheus /metrics on the admin port (metrics.tf)"
  type        = bool
  default     = true
}

variable "cloudwatch_agent_image" {
  description = "The CloudWatch agent image (Amazon's public ECR; pin a version or mirror it into this account's ECR for reproducible rolls)"
  type        = string
  default     = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest"
}

variable "prometheus_namespace" {
  description = "CloudWatch namespace of the metrics the agent extracts from /metrics"
  type        = string
  default     = "TicketSlave/Prometheus"
}

variable "metrics_scrape_seconds" {
  type    = number
  default = 60
}
