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
