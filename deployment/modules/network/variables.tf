variable "name" {
  description = "Name prefix, e.g. ticketslave-production"
  type        = string
}

variable "region" {
  description = "AWS region (for the S3 gateway endpoint)"
  type        = string
}

variable "cidr_block" {
  description = "VPC CIDR; /16 leaves room for /24 public and /20 private subnets"
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones used (MSK's three brokers want three)"
  type        = number
  default     = 3
  validation {
    condition     = var.az_count >= 2
    error_message = "At least two availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway instead of one per AZ (cheaper, not AZ-fault tolerant)"
  type        = bool
  default     = false
}

variable "alb_open_to_internet" {
  description = "Open the ALB's 80/443 to 0.0.0.0/0 instead of CloudFront's origin-facing prefix list"
  type        = bool
  default     = false
}

variable "service_port_range" {
  description = "First and last container port of the services"
  type        = list(number)
  default     = [8081, 8085]
}

variable "smtp_port" {
  description = "Outbound SMTP submission port"
  type        = number
  default     = 465
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "interface_endpoints" {
  description = "AWS services reached through VPC interface endpoints (com.amazonaws.<region>.<name>)"
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"]
}
