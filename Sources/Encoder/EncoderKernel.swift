import Foundation
import MemoryGraph

/// The matrix product behind the encoder's linear layers, which hold nearly all of its work.
///
/// `avx512` multiplies by weights packed once at load in half precision
/// (`EncoderKernels.PackedProduct`); `avx512-bf16` by weights packed in bfloat16, with its inputs
/// rounded to bfloat16 too (`PackedProductBF16`: twice the multiply-adds per instruction, vectors
/// within cosine 0.99997 of the reference instead of 0.999999); `blas` calls cblas, which must pack
/// the weights again on every call. All give the reference vectors to the parity tests' 0.9999
/// (they run each one the machine has). Attention uses cblas either way.
///
/// ```swift
/// let kernel = try EncoderKernel.preferred()   // MEMGRAPH_ENCODER_KERNEL, else the fastest here
/// let embedder = try MiniLMEmbedder(modelDirectory: folder, kernel: .blas)
/// ```
public enum EncoderKernel: String, Sendable, CaseIterable {
    /// cblas: OpenBLAS on Linux, Accelerate on Apple platforms. Runs anywhere.
    case blas
    /// memgraph's own product on AVX-512, over weights packed at load. Needs a processor with
    /// AVX-512 F, CD, BW, DQ and VL (Skylake-SP and later).
    case avx512
    /// memgraph's product on AVX-512 BF16, over weights packed at load in bfloat16. Needs what
    /// ``avx512`` needs and `avx512_bf16` (Cooper Lake, Sapphire Rapids, Zen 4 and later).
    case avx512BF16 = "avx512-bf16"

    /// The environment variable that overrides the choice: `auto` (the default), `blas`, `avx512`
    /// or `avx512-bf16`.
    public static let environmentVariable = "MEMGRAPH_ENCODER_KERNEL"

    /// Whether this processor can run ``avx512``.
    public static let avx512Supported: Bool = flags.isSuperset(of: avx512Flags)

    /// Whether this processor can run ``avx512BF16``.
    public static let avx512BF16Supported: Bool = avx512Supported && flags.contains("avx512_bf16")

    /// This processor's flags, read from /proc/cpuinfo once for both checks.
    private static let flags = processorFlags()

    /// The kernels this processor can run, fastest first.
    public static var available: [EncoderKernel] {
        avx512BF16Supported ? [.avx512BF16, .avx512, .blas] : avx512Supported ? [.avx512, .blas] : [.blas]
    }

    /// The kernel named by `MEMGRAPH_ENCODER_KERNEL`, or the fastest this processor can run.
    /// - Throws: ``MemoryGraphError`` `.invalidInput` for an unknown name, or for `avx512` on a
    ///   processor without it.
    public static func preferred(
        environment: [String: String] = Settings.processEnvironment
    ) throws -> EncoderKernel {
        try named(environment[environmentVariable] ?? "")
    }

    /// The kernel called `name` (any case, spaces trimmed); `auto` or empty: the fastest here.
    /// - Throws: ``MemoryGraphError`` `.invalidInput` for an unknown name, or for `avx512` on a
    ///   processor without it.
    public static func named(_ name: String) throws -> EncoderKernel {
        let name = name.trimmingCharacters(in: .whitespaces).lowercased()
        if name.isEmpty || name == "auto" { return available[0] }
        guard let kernel = EncoderKernel(rawValue: name) else {
            throw MemoryGraphError.invalidInput(
                "\(environmentVariable)=\(name) is not a kernel: use auto, blas, avx512 or avx512-bf16", operation: "load model")
        }
        try kernel.checkSupported()
        return kernel
    }

    /// - Throws: ``MemoryGraphError`` `.invalidInput` if this processor cannot run the kernel.
    func checkSupported() throws {
        if self != .blas, !Self.avx512Supported {
            throw MemoryGraphError.invalidInput(
                "this processor has no AVX-512 (needs \(Self.avx512Flags.sorted().joined(separator: ", "))): "
                    + "use \(Self.environmentVariable)=blas or auto",
                operation: "load model")
        }
        if self == .avx512BF16, !Self.avx512BF16Supported {
            throw MemoryGraphError.invalidInput(
                "this processor has no AVX-512 BF16 (avx512_bf16): use \(Self.environmentVariable)=avx512, blas or auto",
                operation: "load model")
        }
    }

    /// Whether the linear layers run on weights packed at load (``avx512`` and ``avx512BF16``).
    var packsWeights: Bool { self != .blas }

    /// What `-target-cpu skylake-avx512` lets the compiler use.
    private static let avx512Flags: Set<String> = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    /// The processor's feature flags as Linux reports them (only those the kernel has enabled);
    /// empty elsewhere, which keeps other systems on cblas.
    private static func processorFlags() -> Set<String> {
        #if os(Linux) && arch(x86_64)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        #else
        return []
        #endif
    }
}
