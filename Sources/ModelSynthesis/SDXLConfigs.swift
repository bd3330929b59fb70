// The config files of stable-diffusion-xl-base-1.0, sdxl-turbo and stable-diffusion-xl-refiner-1.0: their
// model_index.json and the text_encoder (CLIP ViT-L/14), text_encoder_2 (OpenCLIP ViT-bigG/14 with projection),
// unet, vae and scheduler configs, architecture fields as the checkpoints hold them.

/// The SDXL family's configs.
enum SDXLConfigs {
    static func modelIndex(_ pipeline: String, scheduler: String, firstEncoder: Bool, refiner: Bool) -> String {
        let first = firstEncoder ? #"["transformers", "CLIPTextModel"]"# : "[null, null]"
        let tokenizer = firstEncoder ? #"["transformers", "CLIPTokenizer"]"# : "[null, null]"
        return """
        {
          "_class_name": "\(pipeline)",
          "_diffusers_version": "0.19.0.dev0",
          "force_zeros_for_empty_prompt": \(!refiner),
          \(refiner ? #""requires_aesthetics_score": true,"# : "")
          "scheduler": ["diffusers", "\(scheduler)"],
          "text_encoder": \(first),
          "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
          "tokenizer": \(tokenizer),
          "tokenizer_2": ["transformers", "CLIPTokenizer"],
          "unet": ["diffusers", "UNet2DConditionModel"],
          "vae": ["diffusers", "AutoencoderKL"]
        }
        """
    }

    /// CLIP ViT-L/14, as SD1.5's but with `projection_dim` 768 and SDXL's hidden_states[-2] use.
    static let textEncoder = """
    {
      "architectures": ["CLIPTextModel"],
      "attention_dropout": 0.0,
      "bos_token_id": 0,
      "dropout": 0.0,
      "eos_token_id": 2,
      "hidden_act": "quick_gelu",
      "hidden_size": 768,
      "initializer_factor": 1.0,
      "initializer_range": 0.02,
      "intermediate_size": 3072,
      "layer_norm_eps": 1e-05,
      "max_position_embeddings": 77,
      "model_type": "clip_text_model",
      "num_attention_heads": 12,
      "num_hidden_layers": 12,
      "pad_token_id": 1,
      "projection_dim": 768,
      "torch_dtype": "float16",
      "vocab_size": 49408
    }
    """

    /// OpenCLIP ViT-bigG/14: 32 layers of width 1280, exact GELU, a 1280-wide projection without bias.
    static let textEncoder2 = """
    {
      "architectures": ["CLIPTextModelWithProjection"],
      "attention_dropout": 0.0,
      "bos_token_id": 0,
      "dropout": 0.0,
      "eos_token_id": 2,
      "hidden_act": "gelu",
      "hidden_size": 1280,
      "initializer_factor": 1.0,
      "initializer_range": 0.02,
      "intermediate_size": 5120,
      "layer_norm_eps": 1e-05,
      "max_position_embeddings": 77,
      "model_type": "clip_text_model",
      "num_attention_heads": 20,
      "num_hidden_layers": 32,
      "pad_token_id": 1,
      "projection_dim": 1280,
      "torch_dtype": "float16",
      "vocab_size": 49408
    }
    """

    /// The base (and turbo) UNet: three levels, 1/2/10 transformer layers, text_time conditioning;
    /// `sampleSize` 128 for the base (1024²), 64 for sdxl-turbo (512²).
    static func unet(sampleSize: Int) -> String {
        """
        {
          "_class_name": "UNet2DConditionModel",
          "_diffusers_version": "0.19.0.dev0",
          "act_fn": "silu",
          "addition_embed_type": "text_time",
          "addition_embed_type_num_heads": 64,
          "addition_time_embed_dim": 256,
          "attention_head_dim": [5, 10, 20],
          "block_out_channels": [320, 640, 1280],
          "center_input_sample": false,
          "class_embed_type": null,
          "class_embeddings_concat": false,
          "conv_in_kernel": 3,
          "conv_out_kernel": 3,
          "cross_attention_dim": 2048,
          "cross_attention_norm": null,
          "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
          "downsample_padding": 1,
          "dual_cross_attention": false,
          "encoder_hid_dim": null,
          "encoder_hid_dim_type": null,
          "flip_sin_to_cos": true,
          "freq_shift": 0,
          "in_channels": 4,
          "layers_per_block": 2,
          "mid_block_only_cross_attention": null,
          "mid_block_scale_factor": 1,
          "mid_block_type": "UNetMidBlock2DCrossAttn",
          "norm_eps": 1e-05,
          "norm_num_groups": 32,
          "num_attention_heads": null,
          "num_class_embeds": null,
          "only_cross_attention": false,
          "out_channels": 4,
          "projection_class_embeddings_input_dim": 2816,
          "resnet_out_scale_factor": 1.0,
          "resnet_skip_time_act": false,
          "resnet_time_scale_shift": "default",
          "sample_size": \(sampleSize),
          "time_cond_proj_dim": null,
          "time_embedding_act_fn": null,
          "time_embedding_dim": null,
          "time_embedding_type": "positional",
          "timestep_post_act": null,
          "transformer_layers_per_block": [1, 2, 10],
          "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
          "upcast_attention": null,
          "use_linear_projection": true
        }
        """
    }

    /// The refiner's UNet: four levels of 384–1536 channels, 4 transformer layers, five time ids (2560 = 1280 + 5 × 256).
    static let refinerUNet = """
    {
      "_class_name": "UNet2DConditionModel",
      "_diffusers_version": "0.19.0.dev0",
      "act_fn": "silu",
      "addition_embed_type": "text_time",
      "addition_embed_type_num_heads": 64,
      "addition_time_embed_dim": 256,
      "attention_head_dim": [6, 12, 24, 24],
      "block_out_channels": [384, 768, 1536, 1536],
      "center_input_sample": false,
      "cross_attention_dim": 1280,
      "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
      "downsample_padding": 1,
      "flip_sin_to_cos": true,
      "freq_shift": 0,
      "in_channels": 4,
      "layers_per_block": 2,
      "mid_block_scale_factor": 1,
      "norm_eps": 1e-05,
      "norm_num_groups": 32,
      "out_channels": 4,
      "projection_class_embeddings_input_dim": 2560,
      "resnet_time_scale_shift": "default",
      "sample_size": 128,
      "transformer_layers_per_block": 4,
      "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
      "use_linear_projection": true
    }
    """

    /// The SDXL VAE: SD's AutoencoderKL with scaling factor 0.13025 and force_upcast.
    static let vae = """
    {
      "_class_name": "AutoencoderKL",
      "_diffusers_version": "0.20.0.dev0",
      "act_fn": "silu",
      "block_out_channels": [128, 256, 512, 512],
      "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
      "force_upcast": true,
      "in_channels": 3,
      "latent_channels": 4,
      "layers_per_block": 2,
      "norm_num_groups": 32,
      "out_channels": 3,
      "sample_size": 1024,
      "scaling_factor": 0.13025,
      "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]
    }
    """

    /// The base's and the refiner's EulerDiscrete (leading), or sdxl-turbo's EulerAncestral (trailing).
    static func scheduler(_ className: String, spacing: String) -> String {
        """
        {
          "_class_name": "\(className)",
          "_diffusers_version": "0.19.0.dev0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "clip_sample": false,
          "interpolation_type": "linear",
          "num_train_timesteps": 1000,
          "prediction_type": "epsilon",
          "sample_max_value": 1.0,
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "timestep_spacing": "\(spacing)",
          "trained_betas": null,
          "use_karras_sigmas": false
        }
        """
    }
}
