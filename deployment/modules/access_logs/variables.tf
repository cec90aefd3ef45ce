variable "bucket_name" {
  description = "Globally unique name of the access log bucket"
  type        = string
}

variable "expire_days" {
  description = "Days an access log is kept"
  type        = number
  default     = 90
  validation {
    condition     = var.expire_days >= 1
    error_message = "expire_days is at least 1."
  }
}
