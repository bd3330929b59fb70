// The OpenAPI document `GET /openapi.json` serves: the runner's own description of the routes we implement
// (taken from its openapi.yaml for /image-to-image, /health, /version and /hardware/*), plus the 503 we answer
// when the model is loading, the queue is full or the server is shutting down.

/// The server's OpenAPI 3.1 description.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "img2img",
    "description": "Livepeer AI Runner's image-to-image API served by img2img, a CPU engine in Swift",
    "version": "0.14.1"
  },
  "paths": {
    "/image-to-image": {
      "post": {
        "tags": [
          "generate"
        ],
        "summary": "Image To Image",
        "description": "Apply image transformations to a provided image (Stable Diffusion img2img or InstructPix2Pix on the CPU).",
        "operationId": "genImageToImage",
        "requestBody": {
          "content": {
            "multipart/form-data": {
              "schema": {
                "$ref": "#/components/schemas/Body_genImageToImage"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "description": "Successful Response",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ImageResponse",
                  "x-speakeasy-name-override": "data"
                }
              }
            }
          },
          "400": {
            "description": "Bad Request",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/HTTPError"
                }
              }
            }
          },
          "401": {
            "description": "Unauthorized",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/HTTPError"
                }
              }
            }
          },
          "500": {
            "description": "Internal Server Error",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/HTTPError"
                }
              }
            }
          },
          "422": {
            "description": "Validation Error",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/HTTPValidationError"
                }
              }
            }
          },
          "503": {
            "description": "Service Unavailable: the model is loading, the queue is full or the server is shutting down",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/HTTPError"
                }
              }
            }
          }
        },
        "security": [
          {
            "HTTPBearer": []
          }
        ],
        "x-speakeasy-name-override": "imageToImage"
      }
    },
    "/health": {
      "get": {
        "summary": "Health",
        "operationId": "health",
        "responses": {
          "200": {
            "description": "Successful Response",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/HealthCheck"
                }
              }
            }
          }
        }
      }
    },
    "/version": {
      "get": {
        "summary": "Version",
        "operationId": "version",
        "responses": {
          "200": {
            "description": "Successful Response",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Version"
                }
              }
            }
          }
        }
      }
    },
    "/hardware/info": {
      "get": {
        "summary": "Hardware Info",
        "operationId": "hardware_info",
        "responses": {
          "200": {
            "description": "Successful Response",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/HardwareInformation"
                }
              }
            }
          }
        }
      }
    },
    "/hardware/stats": {
      "get": {
        "summary": "Hardware Stats",
        "operationId": "hardware_stats",
        "responses": {
          "200": {
            "description": "Successful Response",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/HardwareStats"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "Body_genImageToImage": {
        "properties": {
          "prompt": {
            "type": "string",
            "title": "Prompt",
            "description": "Text prompt(s) to guide image generation."
          },
          "image": {
            "type": "string",
            "format": "binary",
            "title": "Image",
            "description": "Uploaded image to modify with the pipeline."
          },
          "model_id": {
            "type": "string",
            "title": "Model Id",
            "description": "Hugging Face model ID used for image generation.",
            "default": ""
          },
          "loras": {
            "type": "string",
            "title": "Loras",
            "description": "A LoRA (Low-Rank Adaptation) model and its corresponding weight for image generation. Example: { \"latent-consistency/lcm-lora-sdxl\": 1.0, \"nerijs/pixel-art-xl\": 1.2}.",
            "default": ""
          },
          "strength": {
            "type": "number",
            "title": "Strength",
            "description": "Degree of transformation applied to the reference image (0 to 1).",
            "default": 0.8
          },
          "guidance_scale": {
            "type": "number",
            "title": "Guidance Scale",
            "description": "Encourages model to generate images closely linked to the text prompt (higher values may reduce image quality).",
            "default": 7.5
          },
          "image_guidance_scale": {
            "type": "number",
            "title": "Image Guidance Scale",
            "description": "Degree to which the generated image is pushed towards the initial image.",
            "default": 1.5
          },
          "negative_prompt": {
            "type": "string",
            "title": "Negative Prompt",
            "description": "Text prompt(s) to guide what to exclude from image generation. Ignored if guidance_scale < 1.",
            "default": ""
          },
          "safety_check": {
            "type": "boolean",
            "title": "Safety Check",
            "description": "Perform a safety check to estimate if generated images could be offensive or harmful.",
            "default": true
          },
          "seed": {
            "type": "integer",
            "title": "Seed",
            "description": "Seed for random number generation."
          },
          "num_inference_steps": {
            "type": "integer",
            "title": "Num Inference Steps",
            "description": "Number of denoising steps. More steps usually lead to higher quality images but slower inference. Modulated by strength.",
            "default": 100
          },
          "num_images_per_prompt": {
            "type": "integer",
            "title": "Num Images Per Prompt",
            "description": "Number of images to generate per prompt.",
            "default": 1
          }
        },
        "type": "object",
        "required": [
          "prompt",
          "image"
        ],
        "title": "Body_genImageToImage"
      },
      "ImageResponse": {
        "properties": {
          "images": {
            "items": {
              "$ref": "#/components/schemas/Media"
            },
            "type": "array",
            "title": "Images",
            "description": "The generated images."
          }
        },
        "type": "object",
        "required": [
          "images"
        ],
        "title": "ImageResponse",
        "description": "Response model for image generation."
      },
      "Media": {
        "properties": {
          "url": {
            "type": "string",
            "title": "Url",
            "description": "The URL where the media can be accessed."
          },
          "seed": {
            "type": "integer",
            "title": "Seed",
            "description": "The seed used to generate the media."
          },
          "nsfw": {
            "type": "boolean",
            "title": "Nsfw",
            "description": "Whether the media was flagged as NSFW."
          }
        },
        "type": "object",
        "required": [
          "url",
          "seed",
          "nsfw"
        ],
        "title": "Media",
        "description": "A media object containing information about the generated media."
      },
      "HTTPError": {
        "properties": {
          "detail": {
            "$ref": "#/components/schemas/APIError",
            "description": "Detailed error information."
          }
        },
        "type": "object",
        "required": [
          "detail"
        ],
        "title": "HTTPError",
        "description": "HTTP error response model."
      },
      "APIError": {
        "properties": {
          "msg": {
            "type": "string",
            "title": "Msg",
            "description": "The error message."
          }
        },
        "type": "object",
        "required": [
          "msg"
        ],
        "title": "APIError",
        "description": "API error response model."
      },
      "HTTPValidationError": {
        "properties": {
          "detail": {
            "items": {
              "$ref": "#/components/schemas/ValidationError"
            },
            "type": "array",
            "title": "Detail"
          }
        },
        "type": "object",
        "title": "HTTPValidationError"
      },
      "ValidationError": {
        "properties": {
          "loc": {
            "items": {
              "anyOf": [
                {
                  "type": "string"
                },
                {
                  "type": "integer"
                }
              ]
            },
            "type": "array",
            "title": "Location"
          },
          "msg": {
            "type": "string",
            "title": "Message"
          },
          "type": {
            "type": "string",
            "title": "Error Type"
          }
        },
        "type": "object",
        "required": [
          "loc",
          "msg",
          "type"
        ],
        "title": "ValidationError"
      },
      "HealthCheck": {
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "LOADING",
              "OK",
              "ERROR",
              "IDLE"
            ],
            "title": "Status",
            "description": "The health status of the pipeline"
          }
        },
        "type": "object",
        "required": [
          "status"
        ],
        "title": "HealthCheck"
      },
      "Version": {
        "properties": {
          "pipeline": {
            "type": "string",
            "title": "Pipeline"
          },
          "model_id": {
            "type": "string",
            "title": "Model Id"
          },
          "version": {
            "type": "string",
            "title": "Version",
            "description": "The version of the Runner"
          }
        },
        "type": "object",
        "required": [
          "pipeline",
          "model_id",
          "version"
        ],
        "title": "Version"
      },
      "HardwareInformation": {
        "properties": {
          "pipeline": {
            "type": "string",
            "title": "Pipeline"
          },
          "model_id": {
            "type": "string",
            "title": "Model Id"
          },
          "gpu_info": {
            "additionalProperties": {
              "$ref": "#/components/schemas/GPUComputeInfo"
            },
            "type": "object",
            "title": "Gpu Info"
          }
        },
        "type": "object",
        "required": [
          "pipeline",
          "model_id",
          "gpu_info"
        ],
        "title": "HardwareInformation",
        "description": "Response model for GPU information."
      },
      "HardwareStats": {
        "properties": {
          "pipeline": {
            "type": "string",
            "title": "Pipeline"
          },
          "model_id": {
            "type": "string",
            "title": "Model Id"
          },
          "gpu_stats": {
            "additionalProperties": {
              "$ref": "#/components/schemas/GPUUtilizationInfo"
            },
            "type": "object",
            "title": "Gpu Stats"
          }
        },
        "type": "object",
        "required": [
          "pipeline",
          "model_id",
          "gpu_stats"
        ],
        "title": "HardwareStats",
        "description": "Response model for real-time GPU statistics."
      },
      "GPUComputeInfo": {
        "properties": {
          "id": {
            "type": "string",
            "title": "Id"
          },
          "name": {
            "type": "string",
            "title": "Name"
          },
          "memory_total": {
            "type": "integer",
            "title": "Memory Total"
          },
          "memory_free": {
            "type": "integer",
            "title": "Memory Free"
          },
          "major": {
            "type": "integer",
            "title": "Major"
          },
          "minor": {
            "type": "integer",
            "title": "Minor"
          }
        },
        "type": "object",
        "required": [
          "id",
          "name",
          "memory_total",
          "memory_free",
          "major",
          "minor"
        ],
        "title": "GPUComputeInfo",
        "description": "Model for detailed GPU compute information."
      },
      "GPUUtilizationInfo": {
        "properties": {
          "id": {
            "type": "string",
            "title": "Id"
          },
          "name": {
            "type": "string",
            "title": "Name"
          },
          "memory_total": {
            "type": "integer",
            "title": "Memory Total"
          },
          "memory_free": {
            "type": "integer",
            "title": "Memory Free"
          },
          "utilization_compute": {
            "type": "integer",
            "title": "Utilization Compute"
          },
          "utilization_memory": {
            "type": "integer",
            "title": "Utilization Memory"
          }
        },
        "type": "object",
        "required": [
          "id",
          "name",
          "memory_total",
          "memory_free",
          "utilization_compute",
          "utilization_memory"
        ],
        "title": "GPUUtilizationInfo",
        "description": "Model for GPU utilization statistics."
      }
    },
    "securitySchemes": {
      "HTTPBearer": {
        "type": "http",
        "scheme": "bearer"
      }
    }
  }
}
"""#
}
