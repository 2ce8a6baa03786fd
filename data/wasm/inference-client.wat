;; inference-client: an AO process (json-iface@1.0, memory64) that asks an
;; inference process for text and receives the answer through its schedule.
;;
;; handle(msg, env) reads the message's JSON and answers:
;;   Action "Ask":   Output "asked", and one message to the process named by
;;                   this process's tag Inference-Process:
;;                   {"Target": <it>, "Tags": [{"name": "Action", "value": "Infer"}],
;;                    "Data": <the Ask message's Data, the prompt>}
;;   Action "Inference-Response": Output <its Data, the answer>, no messages
;;   anything else:  Output "ignored"
;; Strings are copied as they are written in the JSON (escapes included), so
;; what is copied stays valid JSON.  malloc is a bump allocator from 4096.
(module
  (memory (export "memory") i64 1 256)
  (data (i64.const 256) "\"name\":\"Action\",\"value\":\"Ask\"}\00")
  (data (i64.const 320) "\"name\":\"Action\",\"value\":\"Inference-Response\"}\00")
  (data (i64.const 400) "\"name\":\"Inference-Process\",\"value\":\"\00")
  (data (i64.const 448) "\"Data\":\"\00")
  (data (i64.const 480) "{\"ok\":true,\"response\":{\"Output\":{\"data\":\"asked\"},\"Messages\":[{\"Target\":\"\00")
  (data (i64.const 600) "\",\"Tags\":[{\"name\":\"Action\",\"value\":\"Infer\"}],\"Data\":\"\00")
  (data (i64.const 680) "\"}]}}\00")
  (data (i64.const 700) "{\"ok\":true,\"response\":{\"Output\":{\"data\":\"\00")
  (data (i64.const 760) "\"},\"Messages\":[]}}\00")
  (data (i64.const 800) "{\"ok\":true,\"response\":{\"Output\":{\"data\":\"ignored\"},\"Messages\":[]}}\00")

  (func $malloc (export "malloc") (param $size i64) (result i64)
    (local $start i64) (local $end i64) (local $have i64)
    (local.set $start (i64.load (i64.const 8)))
    (if (i64.eqz (local.get $start)) (then (local.set $start (i64.const 4096))))
    (local.set $end (i64.and (i64.add (i64.add (local.get $start) (local.get $size)) (i64.const 7))
                             (i64.const -8)))
    (local.set $have (i64.mul (memory.size) (i64.const 65536)))
    (if (i64.gt_u (local.get $end) (local.get $have))
      (then
        (if (i64.eq (memory.grow (i64.div_u (i64.add (i64.sub (local.get $end) (local.get $have))
                                                     (i64.const 65535))
                                            (i64.const 65536)))
                    (i64.const -1))
          (then (return (i64.const 0))))))
    (i64.store (i64.const 8) (local.get $end))
    (local.get $start))

  (func $strlen (param $s i64) (result i64)
    (local $at i64)
    (local.set $at (local.get $s))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (local.get $at))))
        (local.set $at (i64.add (local.get $at) (i64.const 1)))
        (br $next)))
    (i64.sub (local.get $at) (local.get $s)))

  ;; the address just after the first occurrence of $needle in $hay, or 0
  (func $find (param $hay i64) (param $needle i64) (result i64)
    (local $i i64) (local $j i64)
    (block $absent
      (loop $start
        (br_if $absent (i32.eqz (i32.load8_u (local.get $hay))))
        (local.set $i (local.get $hay))
        (local.set $j (local.get $needle))
        (block $mismatch
          (loop $compare
            (if (i32.eqz (i32.load8_u (local.get $j))) (then (return (local.get $i))))
            (br_if $mismatch (i32.ne (i32.load8_u (local.get $i)) (i32.load8_u (local.get $j))))
            (local.set $i (i64.add (local.get $i) (i64.const 1)))
            (local.set $j (i64.add (local.get $j) (i64.const 1)))
            (br $compare)))
        (local.set $hay (i64.add (local.get $hay) (i64.const 1)))
        (br $start)))
    (i64.const 0))

  ;; copy the NUL-terminated string at $src to $at; the address after it
  (func $put (param $at i64) (param $src i64) (result i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (local.get $src))))
        (i32.store8 (local.get $at) (i32.load8_u (local.get $src)))
        (local.set $at (i64.add (local.get $at) (i64.const 1)))
        (local.set $src (i64.add (local.get $src) (i64.const 1)))
        (br $next)))
    (local.get $at))

  ;; copy a JSON string's content (escapes kept) from $src up to its closing quote
  (func $put_json (param $at i64) (param $src i64) (result i64)
    (local $c i32)
    (block $done
      (loop $next
        (local.set $c (i32.load8_u (local.get $src)))
        (br_if $done (i32.or (i32.eqz (local.get $c)) (i32.eq (local.get $c) (i32.const 34))))
        (i32.store8 (local.get $at) (local.get $c))
        (local.set $at (i64.add (local.get $at) (i64.const 1)))
        (local.set $src (i64.add (local.get $src) (i64.const 1)))
        (if (i32.eq (local.get $c) (i32.const 92))  ;; a backslash: the next byte is escaped
          (then
            (i32.store8 (local.get $at) (i32.load8_u (local.get $src)))
            (local.set $at (i64.add (local.get $at) (i64.const 1)))
            (local.set $src (i64.add (local.get $src) (i64.const 1)))))
        (br $next)))
    (local.get $at))

  (func (export "handle") (param $msg i64) (param $env i64) (result i64)
    (local $out i64) (local $at i64) (local $data i64) (local $target i64)
    (local.set $out (call $malloc (i64.add (i64.add (call $strlen (local.get $msg))
                                                    (call $strlen (local.get $env)))
                                           (i64.const 512))))
    (local.set $data (call $find (local.get $msg) (i64.const 448)))
    (if (i64.ne (call $find (local.get $msg) (i64.const 256)) (i64.const 0))
      (then
        (local.set $target (call $find (local.get $env) (i64.const 400)))
        (local.set $at (call $put (local.get $out) (i64.const 480)))
        (if (i64.ne (local.get $target) (i64.const 0))
          (then (local.set $at (call $put_json (local.get $at) (local.get $target)))))
        (local.set $at (call $put (local.get $at) (i64.const 600)))
        (if (i64.ne (local.get $data) (i64.const 0))
          (then (local.set $at (call $put_json (local.get $at) (local.get $data)))))
        (local.set $at (call $put (local.get $at) (i64.const 680)))
        (i32.store8 (local.get $at) (i32.const 0))
        (return (local.get $out))))
    (if (i64.ne (call $find (local.get $msg) (i64.const 320)) (i64.const 0))
      (then
        (local.set $at (call $put (local.get $out) (i64.const 700)))
        (if (i64.ne (local.get $data) (i64.const 0))
          (then (local.set $at (call $put_json (local.get $at) (local.get $data)))))
        (local.set $at (call $put (local.get $at) (i64.const 760)))
        (i32.store8 (local.get $at) (i32.const 0))
        (return (local.get $out))))
    (i64.const 800)))
