variable "name" {
  type = string
}

variable "kafka_version" {
  description = "MSK version string; the .kraft suffix selects KRaft metadata mode (check `aws kafka list-kafka-versions`)"
  type        = string
  default     = "3.9.x.kraft"
}

variable "broker_count" {
  description = "Brokers, a multiple of the number of private subnets"
  type        = number
  default     = 3
}

variable "broker_instance_type" {
  type    = string
  default = "kafka.m7g.large"
}

variable "broker_volume_gb" {
  type    = number
  default = 100
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "msk_security_group_id" {
  type = string
}

variable "scram_username" {
  type    = string
  default = "ticketslave"
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "password_version" {
  description = "Raise to generate a new SCRAM password"
  type        = number
  default     = 1
}

variable "service_users" {
  description = "The services; each gets a SCRAM user of its name in its own AmazonMSK_ secret"
  type        = set(string)
}

variable "acls_enforced" {
  description = "Refuse whatever no ACL allows (allow.everyone.if.no.acl.found=false); set after the ACL bootstrap (docs/operations.md)"
  type        = bool
  default     = false
}
