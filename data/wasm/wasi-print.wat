;; wasi-print: prints with WASI (wasi_snapshot_preview1) from a 32-bit memory,
;; where an iovec is 8 bytes: {buf: i32, len: i32}.  Run it under wasi@1.0.
;;
;; hello() -> errno    write "Hello, " and "World!\n" (two iovecs) to stdout (fd 1)
;; echo() -> n         read up to 1024 bytes of stdin (fd 0), write them to stdout
;; "Hello, World!" also sits at address 66, as in HyperBEAM's test-print.wasm.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 66) "Hello, World!\n")

  (func (export "hello") (result i32)
    (i32.store (i32.const 0) (i32.const 66))   ;; "Hello, "
    (i32.store (i32.const 4) (i32.const 7))
    (i32.store (i32.const 8) (i32.const 73))   ;; "World!\n"
    (i32.store (i32.const 12) (i32.const 7))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16)))

  (func (export "echo") (result i32)
    (i32.store (i32.const 32) (i32.const 1024))
    (i32.store (i32.const 36) (i32.const 1024))
    (drop (call $fd_read (i32.const 0) (i32.const 32) (i32.const 1) (i32.const 40)))
    (i32.store (i32.const 36) (i32.load (i32.const 40)))
    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 44)))
    (i32.load (i32.const 40))))
