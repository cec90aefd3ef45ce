variable "name_prefix" {
  description = "Repository name prefix, e.g. ticketslave"
  type        = string
}

variable "services" {
  description = "Service names; one repository each"
  type        = list(string)
}

variable "keep_tagged_images" {
  type    = number
  default = 30
}

variable "untagged_expiry_days" {
  type    = number
  default = 7
}

variable "region" {
  type = string
}

variable "account_id" {
  description = "This registry's account"
  type        = string
}

variable "replicate_to_account_ids" {
  description = "Registries (accounts, same region) every image pushed here is replicated to"
  type        = list(string)
  default     = []
}

variable "accept_replication_from_account_ids" {
  description = "Accounts whose registries may replicate images into this one"
  type        = list(string)
  default     = []
}
