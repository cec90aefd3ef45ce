variable "name" {
  type = string
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "rds_security_group_id" {
  type = string
}

variable "engine_version" {
  type    = string
  default = "16"
}

variable "instance_class" {
  type    = string
  default = "db.m7g.large"
}

variable "allocated_storage_gb" {
  type    = number
  default = 100
}

variable "max_allocated_storage_gb" {
  type    = number
  default = 1000
}

variable "database_name" {
  type    = string
  default = "ticketslave"
}

variable "master_username" {
  type    = string
  default = "ticketslave"
}

variable "multi_az" {
  type    = bool
  default = true
}

variable "backup_retention_days" {
  type    = number
  default = 14
}

variable "deletion_protection" {
  type    = bool
  default = true
}

variable "password_version" {
  description = "Raise to generate a new master password (written to the instance and the DATABASE_URL secret)"
  type        = number
  default     = 1
}

variable "ca_bundle_path" {
  description = "Path of the Amazon RDS CA bundle inside the service images"
  type        = string
}

variable "max_connections" {
  description = "max_connections, set explicitly: the connection budget (root services.tf) is checked against it"
  type        = number
}

variable "service_names" {
  description = "The services; each gets its own login role ts_<name>, owner of schema <name>, and its own secret"
  type        = set(string)
}
